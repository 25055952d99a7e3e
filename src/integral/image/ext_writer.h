// Writes a Tree as an ext2, ext3 or ext4 image, reproducibly and without root.
//
// Route (see ARCHITECTURE.md): libext2fs lays out and closes the file system (superblock,
// group descriptors, bitmaps, inode tables, journal, checksums), and this writer plans the rest
// itself from the sorted tree: inode numbers in traversal order, file data streamed in large
// sequential writes into blocks taken in order from the bitmap, directory blocks built in
// memory and written once. It never calls ext2fs_link/namei, whose directory rescans make
// `mke2fs -d` quadratic per directory.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "integral/crypto/digest.h"
#include "integral/image/tree.h"
#include "integral/util/atomic_file.h"

namespace integral::image {

enum class ExtKind { kExt2, kExt3, kExt4 };

struct ExtOptions {
  ExtKind kind = ExtKind::kExt4;
  uint64_t size_bytes = 0;  // 0: computed from the tree with kSizeMargin
  int64_t timestamp = 1;    // every inode and superblock time (SOURCE_DATE_EPOCH)
  std::optional<std::array<uint8_t, 16>> uuid;       // default: derived from the content
  std::optional<std::array<uint8_t, 16>> hash_seed;  // default: derived from the content
  std::string label;
  // SHA-256 of every regular file's content, taken while it is read for the image (for IMA
  // runtime policies): ExtResult::file_sha256.
  bool file_digests = false;
};

// Free space left in a computed image: 5 % of the content plus 256 blocks.
inline constexpr double kSizeMargin = 0.05;

struct ExtResult {
  uint64_t size_bytes = 0;
  uint64_t block_size = 0;
  uint64_t blocks = 0;
  uint64_t free_blocks = 0;
  uint64_t inodes = 0;
  uint64_t used_inodes = 0;
  std::string uuid;
  // With ExtOptions::file_digests: each regular file's path in the image ("/etc/motd", hard
  // links under every name) and the SHA-256 of its content.
  std::map<std::string, Digest> file_sha256;
};

// Receives the image's bytes in block order as they are written, every byte once (holes as
// zeros): the image's digests and its dm-verity tree are computed from this stream.
// The bytes passed to data() stay valid until the next sync(), so a sink may hash them on
// another thread; the writer calls sync() before it reuses or frees them.
class ImageSink {
 public:
  virtual ~ImageSink() = default;
  virtual void begin(uint64_t size) = 0;  // the image's final size, before any byte
  virtual void data(std::span<const uint8_t> bytes) = 0;
  virtual void zeros(uint64_t n) = 0;
  virtual void sync() {}  // returns when the sink no longer uses any bytes it was given
};

// Writes the image into `out`'s temporary file, leaving the commit to the caller (so that
// an image and the files derived from it appear together; see OutputSet).
// The image is written in one pass, in block order: libext2fs lays out and closes the file
// system in memory (ext2fs_mem_io.h), then metadata and file data are merged into large sequential
// writes and fed to `sink` on the way.
ExtResult write_ext_image(const Tree& tree, const ExtOptions& opts, AtomicFile& out,
                          ImageSink* sink = nullptr);

// The same, committed to `out` (fsync'd, renamed): on any error nothing is left at `out`.
ExtResult write_ext_image(const Tree& tree, const ExtOptions& opts,
                          const std::filesystem::path& out, ImageSink* sink = nullptr);

}  // namespace integral::image
