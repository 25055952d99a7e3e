#include "integral/formats/tboot_mle.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "integral/crypto/multi_hasher.h"
#include "integral/formats/gunzip.h"
#include "integral/util/byte_reader.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral {

namespace {

constexpr uint32_t kPtLoad = 1;
constexpr uint16_t kEtExec = 2;
constexpr uint16_t kEm386 = 3;
constexpr size_t kElf32PhdrSize = 32;
constexpr size_t kMleHeaderSize = 52;

}  // namespace

TbootMle TbootMle::load(const std::filesystem::path& path) {
  const std::string data = read_text_file(path, 64u << 20);
  return parse(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()),
               path.string());
}

TbootMle TbootMle::parse(std::span<const uint8_t> file, std::string name) {
  TbootMle m;
  m.name_ = std::move(name);
  if (is_gzip(file)) {
    m.elf_ = gunzip(file, m.name_);
  } else {
    m.elf_.assign(file.begin(), file.end());
  }
  // Offsets below are in the (decompressed) ELF; say so in errors of a compressed file.
  const std::string where = is_gzip(file) ? m.name_ + " (decompressed ELF)" : m.name_;
  ByteReader r(m.elf_, where);
  m.read_segments(r);
  m.read_header(r, m.find_header(r));
  return m;
}

void TbootMle::read_segments(const ByteReader& r) {
  r.need(0, 52, "ELF header");
  static constexpr uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
  if (!std::equal(kMagic, kMagic + 4, elf_.begin())) r.fail(0, "not an ELF image (or gzip)");
  if (r.u8(4, "EI_CLASS") != 1) r.fail(4, "not a 32-bit ELF image (tboot is ELF32)");
  if (r.u8(5, "EI_DATA") != 1) r.fail(5, "not a little-endian ELF image");
  if (r.u16(16, "e_type") != kEtExec) r.fail(16, "ELF image is not executable (ET_EXEC)");
  if (r.u16(18, "e_machine") != kEm386) r.fail(18, "ELF image is not for i386");
  if (r.u32(20, "e_version") != 1) r.fail(20, "ELF version is not EV_CURRENT");
  entry_ = r.u32(24, "e_entry");
  const uint32_t phoff = r.u32(28, "e_phoff");
  const uint16_t phentsize = r.u16(42, "e_phentsize");
  const uint16_t phnum = r.u16(44, "e_phnum");
  if (phentsize < kElf32PhdrSize) r.fail(42, "e_phentsize is smaller than an ELF32 phdr");
  r.need(phoff, static_cast<uint64_t>(phnum) * phentsize, "program header table");

  for (uint32_t i = 0; i < phnum; ++i) {
    const uint64_t ph = phoff + static_cast<uint64_t>(i) * phentsize;
    if (r.u32(ph, "p_type") != kPtLoad) continue;
    const uint32_t offset = r.u32(ph + 4, "p_offset");
    const uint32_t filesz = r.u32(ph + 16, "p_filesz");
    const uint32_t memsz = r.u32(ph + 20, "p_memsz");
    if (filesz > memsz) r.fail(ph + 16, "PT_LOAD p_filesz exceeds p_memsz");
    r.need(offset, filesz, fmt::format("PT_LOAD segment {} data", i));
    segments_.push_back({image_size_, offset, filesz, memsz});
    image_size_ += memsz;
  }
  if (segments_.empty()) r.fail(phoff, "no PT_LOAD segment");
}

uint64_t TbootMle::find_header(const ByteReader& r) const {
  // The MLE header sits on a 16-byte boundary of the loaded image (lcp2_mlehash and SINIT's
  // loader find it by its UUID); zero fill cannot hold the UUID, so only file data is scanned.
  for (const auto& s : segments_) {
    uint64_t first = (s.image_offset + 15) & ~uint64_t{15};
    for (uint64_t at = first; at + 16 <= s.image_offset + s.file_size; at += 16) {
      const uint8_t* p = elf_.data() + s.file_offset + (at - s.image_offset);
      if (std::memcmp(p, kMleHeaderUuid, 16) == 0) return at;
    }
  }
  r.fail(0, "no MLE header (UUID 5aac8290-6f47-a774-0f5c-55a2cb51b642) in the image");
}

void TbootMle::read_header(const ByteReader& r, uint64_t at) {
  if (at + kMleHeaderSize > image_size_) {
    r.fail(0, fmt::format("MLE header at image offset {:#x} is truncated", at));
  }
  Bytes hdr;
  read_image(at, at + kMleHeaderSize,
             [&](std::span<const uint8_t> b) { hdr.insert(hdr.end(), b.begin(), b.end()); });
  // Header fields are reported at their image offset (the loaded layout).
  ByteReader h(hdr, name_ + " (loaded image)", at);
  MleHeader& H = header_;
  H.image_offset = at;
  H.length = h.u32(16, "length");
  H.version = h.u32(20, "version");
  H.entry_point = h.u32(24, "entry_point");
  H.first_valid_page = h.u32(28, "first_valid_page");
  H.mle_start_off = h.u32(32, "mle_start_off");
  H.mle_end_off = h.u32(36, "mle_end_off");
  H.capabilities = h.u32(40, "capabilities");
  H.cmdline_start_off = h.u32(44, "cmdline_start_off");
  H.cmdline_end_off = h.u32(48, "cmdline_end_off");
  if (H.mle_start_off >= H.mle_end_off) {
    h.fail(32, fmt::format("MLE range [{:#x}, {:#x}) is empty", H.mle_start_off, H.mle_end_off));
  }
  if (H.mle_end_off > image_size_) {
    h.fail(36, fmt::format("mle_end_off {:#x} lies beyond the loaded image ({:#x} bytes)",
                           H.mle_end_off, image_size_));
  }
  if (H.mle_end_off - H.mle_start_off > kMaxMleSize) {
    h.fail(32,
           fmt::format("MLE of {} bytes is implausibly large", H.mle_end_off - H.mle_start_off));
  }
  if (H.cmdline_end_off > H.cmdline_start_off) {
    if (H.cmdline_end_off > image_size_) {
      h.fail(48,
             fmt::format("cmdline_end_off {:#x} lies beyond the loaded image", H.cmdline_end_off));
    }
    if (H.cmdline_end_off - H.cmdline_start_off > (64u << 10)) {
      h.fail(44, "command-line buffer is implausibly large");
    }
  }
}

void TbootMle::read_image(uint64_t begin, uint64_t end,
                          const std::function<void(std::span<const uint8_t>)>& sink) const {
  static const uint8_t kZeros[64 * 1024] = {};
  for (const auto& s : segments_) {
    const uint64_t s_end = s.image_offset + s.mem_size;
    if (s_end <= begin || s.image_offset >= end) continue;
    uint64_t a = std::max(begin, s.image_offset);
    const uint64_t b = std::min(end, s_end);
    const uint64_t file_end = s.image_offset + s.file_size;
    if (a < file_end) {
      const uint64_t n = std::min(b, file_end) - a;
      sink(std::span(elf_.data() + s.file_offset + (a - s.image_offset), static_cast<size_t>(n)));
      a += n;
    }
    while (a < b) {
      const uint64_t n = std::min<uint64_t>(b - a, sizeof(kZeros));
      sink(std::span(kZeros, static_cast<size_t>(n)));
      a += n;
    }
  }
}

Bytes TbootMle::mle_bytes(const std::optional<std::string>& cmdline) const {
  const auto& H = header_;
  Bytes out;
  out.reserve(H.mle_end_off - H.mle_start_off);
  read_image(H.mle_start_off, H.mle_end_off,
             [&](std::span<const uint8_t> b) { out.insert(out.end(), b.begin(), b.end()); });
  if (cmdline && H.cmdline_end_off > H.cmdline_start_off) {
    // tboot zero-fills g_cmdline and strncpy()s the loader's string into it.
    const std::string s = cmdline->substr(0, std::min(cmdline->find('\0'), kTbootCmdlineMax));
    const uint64_t area = H.cmdline_end_off - H.cmdline_start_off;
    for (uint64_t i = 0; i < area; ++i) {
      const uint64_t at = H.cmdline_start_off + i;
      if (at < H.mle_start_off || at >= H.mle_end_off) continue;
      out[at - H.mle_start_off] = i < s.size() ? static_cast<uint8_t>(s[i]) : 0;
    }
  }
  return out;
}

std::vector<Digest> TbootMle::mle_hash(std::span<const HashAlg> algs,
                                       const std::optional<std::string>& cmdline) const {
  MultiHasher hasher(algs);
  hasher.update(mle_bytes(cmdline));
  return hasher.finish();
}

std::string TbootMle::skip_filename(const std::string& cmdline) {
  size_t i = cmdline.find_first_not_of(' ');
  if (i == std::string::npos) return {};
  i = cmdline.find(' ', i);
  if (i == std::string::npos) return {};
  i = cmdline.find_first_not_of(' ', i);
  return i == std::string::npos ? std::string{} : cmdline.substr(i);
}

}  // namespace integral
