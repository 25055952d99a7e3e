// The tboot MLE: a (gzip-compressed) ELF32 image holding the MLE header that SINIT reads. The
// MLE hash is the hash of [mle_start_off, mle_end_off) of the image as loaded (PT_LOAD segments
// concatenated, each zero-filled to p_memsz), with the command-line buffer inside it filled the
// way tboot fills it before GETSEC[SENTER]. This is what lcp2_mlehash computes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "integral/crypto/digest.h"
#include "integral/util/hex.h"

namespace integral {

class ByteReader;

// mle_hdr_t (tboot include/mle.h); offsets are relative to the start of the loaded image.
struct MleHeader {
  uint64_t image_offset = 0;  // where the header was found in the loaded image
  uint32_t length = 0;
  uint32_t version = 0;
  uint32_t entry_point = 0;
  uint32_t first_valid_page = 0;
  uint32_t mle_start_off = 0;
  uint32_t mle_end_off = 0;
  uint32_t capabilities = 0;
  uint32_t cmdline_start_off = 0;
  uint32_t cmdline_end_off = 0;
};

inline constexpr uint8_t kMleHeaderUuid[16] = {0x5a, 0xac, 0x82, 0x90, 0x6f, 0x47, 0xa7, 0x74,
                                               0x0f, 0x5c, 0x55, 0xa2, 0xcb, 0x51, 0xb6, 0x42};
// tboot's g_cmdline is 512 bytes and always NUL-terminated: at most 511 characters are measured.
inline constexpr size_t kTbootCmdlineMax = 511;
// The MLE itself is small (tboot's is ~300 KiB); a larger claim is refused before hashing.
inline constexpr uint64_t kMaxMleSize = 64u << 20;

class TbootMle {
 public:
  // `file` (gzip or plain ELF) as bytes; `name` is used in errors.
  static TbootMle parse(std::span<const uint8_t> file, std::string name);
  static TbootMle load(const std::filesystem::path& path);

  const MleHeader& header() const { return header_; }
  uint64_t image_size() const { return image_size_; }
  uint32_t elf_entry() const { return entry_; }

  // The measured bytes. `cmdline`: the tboot command line as the loader passes it (GRUB 2:
  // the arguments after the file name); nullopt leaves the buffer as in the file (what
  // lcp2_mlehash does without --cmdline). tboot copies at most 511 characters, up to a NUL.
  Bytes mle_bytes(const std::optional<std::string>& cmdline) const;
  std::vector<Digest> mle_hash(std::span<const HashAlg> algs,
                               const std::optional<std::string>& cmdline) const;

  // tboot <= 1.9.3 dropped the first word (the kernel path) of the loader's command line.
  static std::string skip_filename(const std::string& cmdline);

 private:
  struct Segment {
    uint64_t image_offset;
    uint64_t file_offset;
    uint64_t file_size;
    uint64_t mem_size;
  };
  // The steps of parse(): the ELF header and PT_LOAD segments; the image offset of the MLE
  // header (by its UUID); the header's fields, checked against the image.
  void read_segments(const ByteReader& r);
  uint64_t find_header(const ByteReader& r) const;
  void read_header(const ByteReader& r, uint64_t at);
  // Feeds bytes [begin, end) of the loaded image to sink (zero fill included).
  void read_image(uint64_t begin, uint64_t end,
                  const std::function<void(std::span<const uint8_t>)>& sink) const;

  std::string name_;
  Bytes elf_;
  std::vector<Segment> segments_;
  uint64_t image_size_ = 0;
  uint32_t entry_ = 0;
  MleHeader header_;
};

}  // namespace integral
