// A libext2fs io manager that keeps every block libext2fs writes in memory instead of a file.
// The image writer lets libext2fs lay out and close the file system into this overlay, then
// writes the whole image once, in block order, merging the overlay with the file data, so the
// digests and the dm-verity tree see each byte exactly once as it is written (no read-back).
// Unwritten blocks read as zeros (the image starts as a hole).
#pragma once

#include <ext2fs/ext2fs.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

namespace integral::image {

class MemImage {
 public:
  static constexpr uint32_t kPage = 4096;

  // The io manager to hand to ext2fs_initialize(); opening any name attaches to this image.
  // Only one MemImage may be opened at a time per thread.
  io_manager manager();
  void attach_next_open();

  void read(uint64_t offset, size_t len, void* out) const;
  void write(uint64_t offset, size_t len, const void* data);

  // Written pages, sorted by page number (each kPage bytes).
  std::vector<std::pair<uint64_t, const uint8_t*>> pages() const;

 private:
  std::unordered_map<uint64_t, std::unique_ptr<uint8_t[]>> pages_;
};

}  // namespace integral::image
