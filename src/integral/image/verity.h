// dm-verity hash trees exactly as `veritysetup format` writes them (format type 1): level 0
// holds H(salt ‖ data block) for every data block, each level above hashes the one below, the
// top level is stored first after an optional 512-byte superblock, and the root hash is
// H(salt ‖ top block). See the kernel's Documentation/admin-guide/device-mapper/verity.rst.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "integral/crypto/digest.h"
#include "integral/crypto/hash_alg.h"
#include "integral/util/atomic_file.h"

namespace integral::image {

struct VerityParams {
  HashAlg alg = HashAlg::kSha256;
  uint32_t data_block_size = 4096;
  uint32_t hash_block_size = 4096;
  std::vector<uint8_t> salt;       // up to 256 bytes
  std::array<uint8_t, 16> uuid{};  // only in the superblock
  bool superblock = true;
};

struct VerityResult {
  Digest root;
  uint64_t data_blocks = 0;
  uint64_t hash_bytes = 0;             // superblock + tree, from the hash offset
  std::vector<uint64_t> level_blocks;  // level 0 first
};

// Builds the tree from the data as it streams past, in order: level 0 goes to `hash_fd` as each
// hash block fills, the levels above and the superblock at finish(). The image builder feeds it
// the bytes it writes, so no second read of the image is needed.
class VerityStream {
 public:
  // `data_size` must be a non-zero multiple of the data block size; the salt is final.
  VerityStream(uint64_t data_size, int hash_fd, uint64_t hash_offset, const VerityParams& params,
               std::string what);
  ~VerityStream();
  VerityStream(const VerityStream&) = delete;
  VerityStream& operator=(const VerityStream&) = delete;

  void update(std::span<const uint8_t> data);
  void zeros(uint64_t n);  // n zero bytes (hashed once per block, not per byte)
  // Upper levels, root hash and superblock; all data_size bytes must have been fed.
  VerityResult finish();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Checks the parameters against a data size (block sizes, salt length, multiple).
void verity_check(uint64_t data_size, const VerityParams& params, const std::string& what);

// Fills an empty salt (derived from the image's first 64 KiB and its size) and a zero UUID
// (derived from the salt), so that a rebuild gives the same tree.
void verity_derive_defaults(VerityParams& params, std::string_view head, uint64_t size);
inline constexpr size_t kVeritySaltHead = 65536;

// Reads `data_size` bytes of `data_fd` (a multiple of the data block size) and writes the
// superblock and tree to `hash_fd` at byte `hash_offset` (which may be the same file, after
// the data, as with `veritysetup --hash-offset`).
VerityResult verity_format(int data_fd, uint64_t data_size, int hash_fd, uint64_t hash_offset,
                           const VerityParams& params, const std::string& what);

// A salt or UUID derived from a label and bytes, for builds that must be reproducible.
std::vector<uint8_t> derive_bytes(const std::string& label, std::string_view from, size_t n);

}  // namespace integral::image

namespace integral::image {

struct VerityFileResult {
  VerityParams params;
  VerityResult result;
  std::string image, hash_file;
  uint64_t hash_offset = 0;
};

// Streams an image into a hash file: `out`'s temporary, which the caller commits (with the
// image, so the two appear together). An empty salt or UUID is derived as verity_file does,
// from the first 64 KiB the stream sees, so `mkfs --verity` and `integral verity` agree.
class VerityFileWriter {
 public:
  VerityFileWriter(std::string image, AtomicFile& out, VerityParams params, uint64_t size);
  ~VerityFileWriter();
  VerityFileWriter(const VerityFileWriter&) = delete;
  VerityFileWriter& operator=(const VerityFileWriter&) = delete;
  void update(std::span<const uint8_t> data);
  void zeros(uint64_t n);
  VerityFileResult finish();

 private:
  void start();
  VerityFileResult out_;
  uint64_t size_;
  std::string head_;
  AtomicFile& file_;
  std::unique_ptr<VerityStream> stream_;
};

// Hashes the file `image` (a regular file). With `hash_file` the tree goes there (temporary
// file, fsync, rename); otherwise it is written into the image itself at `hash_offset`
// (default: the image size), which must not be below the image's end, whose bytes are the
// data hashed, and must be a multiple of the hash block size (dm-verity addresses the tree in
// hash blocks); anything else is refused (bad input, naming the image and the offset) before
// a byte is written. If writing the appended tree fails, the image is cut back to its size.
// An empty salt is derived from the image's first 64 KiB and size and a zero UUID from the
// salt, so that a rebuild gives the same tree.
VerityFileResult verity_file(const std::string& image, const std::string& hash_file,
                             std::optional<uint64_t> hash_offset, VerityParams params);

}  // namespace integral::image
