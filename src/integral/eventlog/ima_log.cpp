#include "integral/eventlog/ima_log.h"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "integral/crypto/quick_hash.h"
#include "integral/util/bytes.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/hex.h"

namespace integral {

namespace {

constexpr size_t kChunk = 1 << 20;
// The kernel caps template names at 255 bytes (TCG_EVENT_NAME_LEN_MAX) and the legacy "ima"
// file name at 255 (IMA_EVENT_NAME_LEN_MAX); template data has no fixed cap (ima-buf), so a
// generous one bounds what a lying length can make us buffer.
constexpr uint32_t kMaxName = 255;
constexpr uint32_t kMaxTemplateData = 64u << 20;
constexpr size_t kMaxLine = 2 * kMaxTemplateData + 4096;
constexpr size_t kLegacyNameField = 256;
constexpr size_t kSha1Size = 20;

// "sha256:\0<digest>" (d-ng) rendered as "sha256:<hex>".
std::string render_dng(std::span<const uint8_t> f) {
  auto nul = std::find(f.begin(), f.end(), uint8_t{0});
  if (nul == f.end()) return to_hex(f);
  std::string alg(f.begin(), nul);
  return alg + to_hex(std::span(nul + 1, f.end()));
}

bool is_ng_family(std::string_view t) {
  return t == "ima-ng" || t == "ima-sig" || t == "ima-buf" || t == "ima-modsig";
}

// The template hash sizes the kernel writes (SHA-1, and the per-bank lists of SHA-256/SM3,
// SHA-384 and SHA-512 banks) and the bank each size means when nothing names it.
constexpr std::array<size_t, 4> kDigestSizes = {20, 32, 48, 64};
constexpr std::array<HashAlg, 4> kSizeBanks = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384,
                                               HashAlg::kSha512};
// How much of the input the layout checks look at, and how many entries they want.
constexpr size_t kProbeBytes = 64 * 1024;
constexpr size_t kProbeEntries = 16;

bool printable_name(std::span<const uint8_t> n) {
  return std::all_of(n.begin(), n.end(), [](uint8_t c) { return c > 0x20 && c < 0x7F; });
}

// How far the binary layout with `dsize`-byte template hashes carries through `data`: entries
// read whole, whether it stopped at the end of `data` (`complete`: `data` is the whole input,
// so lengths must fit it), and otherwise where and why it failed. `progress` orders candidate
// sizes by how far they got (entries, then fields of the failing entry).
struct Probe {
  size_t dsize = 0;
  size_t entries = 0;
  bool at_end = false;
  bool truncated = false;  // failed only because a whole input ends inside an entry
  uint64_t entry_at = 0, fail_at = 0;
  std::string why;
  size_t progress = 0;
};

Probe probe_binary(std::span<const uint8_t> data, size_t dsize, bool complete) {
  Probe p;
  p.dsize = dsize;
  size_t pos = 0;
  size_t stage = 0;
  // Whether n bytes from `at` are there; if not, a truncated whole input fails, a window ends.
  auto have = [&](size_t at, size_t n, const char* what) {
    if (at <= data.size() && n <= data.size() - at) return true;
    if (complete) {
      p.fail_at = std::min(at, data.size());
      p.why =
          fmt::format("truncated: {} needs {} bytes, {} left", what, n, data.size() - p.fail_at);
      p.truncated = true;
    } else {
      p.at_end = true;
    }
    return false;
  };
  auto fail = [&](size_t at, std::string why) {
    p.fail_at = at;
    p.why = std::move(why);
    return p;
  };
  for (;;) {
    p.progress = p.entries * 8 + stage;
    if (pos == data.size() || p.entries == kProbeEntries) {
      p.at_end = pos == data.size();
      if (p.entries == kProbeEntries) p.at_end = true;
      return p;
    }
    p.entry_at = pos;
    stage = 0;
    if (!have(pos, 4, "PCR index")) return p;
    uint32_t pcr = load_le32(data.data() + pos);
    if (pcr >= kPcrCount) return fail(pos, fmt::format("PCR index {} is out of range", pcr));
    p.progress = p.entries * 8 + ++stage;
    if (!have(pos + 4, dsize + 4, "template hash and name length")) return p;
    p.progress = p.entries * 8 + ++stage;
    size_t at = pos + 4 + dsize;
    uint32_t n = load_le32(data.data() + at);
    if (n == 0 || n > kMaxName)
      return fail(at, fmt::format("template name length {} (1-{})", n, kMaxName));
    p.progress = p.entries * 8 + ++stage;
    if (!have(at + 4, n, "template name")) return p;
    auto name = data.subspan(at + 4, n);
    if (!printable_name(name)) return fail(at + 4, "template name is not printable text");
    p.progress = p.entries * 8 + ++stage;
    at += 4 + n;
    if (n == 3 && std::memcmp(name.data(), "ima", 3) == 0) {
      if (!have(at, kSha1Size + 4, "ima digest and name length")) return p;
      uint32_t len = load_le32(data.data() + at + kSha1Size);
      if (len > kMaxName)
        return fail(at + kSha1Size, fmt::format("ima name length {} (at most {})", len, kMaxName));
      at += kSha1Size + 4;
      p.progress = p.entries * 8 + ++stage;
      if (!have(at, len, "ima name")) return p;
      pos = at + len;
    } else {
      if (!have(at, 4, "template data length")) return p;
      uint32_t len = load_le32(data.data() + at);
      if (len > kMaxTemplateData)
        return fail(at, fmt::format("template data length {} exceeds {}", len, kMaxTemplateData));
      if (complete && len > data.size() - at - 4)
        return fail(at, fmt::format("template data length {} runs past the end ({} bytes left)",
                                    len, data.size() - at - 4));
      p.progress = p.entries * 8 + ++stage;
      if (!have(at + 4, len, "template data")) return p;
      pos = at + 4 + len;
    }
    ++p.entries;
    stage = 0;
  }
}

// The candidate sizes' probes, the furthest first (the smaller size on a tie).
Probe best_probe(std::span<const uint8_t> data, bool complete, std::optional<size_t> only) {
  std::optional<Probe> best;
  for (size_t d : kDigestSizes) {
    if (only && d != *only) continue;
    Probe p = probe_binary(data, d, complete);
    if (!best || p.progress > best->progress) best = std::move(p);
  }
  return *best;
}

// "<pcr> <hex template hash> <printable template name> " at `line`; the hash's length in
// bytes, or 0.
size_t ascii_entry_digest_size(std::string_view line) {
  size_t i = 0;
  unsigned pcr = 0;
  while (i < line.size() && i < 2 && line[i] >= '0' && line[i] <= '9')
    pcr = pcr * 10 + static_cast<unsigned>(line[i++] - '0');
  if (i == 0 || pcr >= kPcrCount || i >= line.size() || line[i] != ' ') return 0;
  size_t h = ++i;
  while (i < line.size() && std::isxdigit(static_cast<unsigned char>(line[i]))) ++i;
  size_t hex = i - h;
  if (hex % 2 || std::find(kDigestSizes.begin(), kDigestSizes.end(), hex / 2) == kDigestSizes.end())
    return 0;
  if (i >= line.size() || line[i] != ' ') return 0;
  size_t t = ++i;
  while (i < line.size() && line[i] > 0x20 && line[i] < 0x7F) ++i;
  if (i == t || i - t > kMaxName || i >= line.size() || line[i] != ' ') return 0;
  return hex / 2;
}

}  // namespace

bool ImaEntry::violation() const {
  auto b = logged.bytes();
  return std::all_of(b.begin(), b.end(), [](uint8_t c) { return c == 0; });
}

bool ImaRecord::violation() const {
  return std::all_of(logged.begin(), logged.end(), [](uint8_t c) { return c == 0; });
}

Digest ima_extend_value(const ImaEntry& e, HashAlg bank, ImaBankRule rule) {
  const bool padded = rule == ImaBankRule::kPaddedSha1 && bank != HashAlg::kSha1;
  std::array<uint8_t, kMaxDigestSize> v{};
  if (e.violation()) {
    std::fill_n(v.begin(), padded ? kSha1Size : digest_size(bank), uint8_t{0xFF});
  } else if (padded) {
    auto d = hash(HashAlg::kSha1, e.template_data);
    std::copy(d.bytes().begin(), d.bytes().end(), v.begin());
  } else {
    return hash(bank, e.template_data);
  }
  return Digest(bank, std::span(v.data(), digest_size(bank)));
}

ImaFormat sniff_ima(std::span<const uint8_t> head) {
  size_t i = 0;
  while (i < head.size() && i < 3 && head[i] >= '0' && head[i] <= '9') ++i;
  return i > 0 && i < head.size() && head[i] == ' ' ? ImaFormat::kAscii : ImaFormat::kBinary;
}

bool looks_like_ima(std::span<const uint8_t> data) {
  const bool complete = data.size() <= kProbeBytes;
  auto window = data.first(std::min(data.size(), kProbeBytes));
  if (window.empty()) return false;
  if (sniff_ima(window) == ImaFormat::kAscii) {
    // Every whole line in the window (at most kProbeEntries) an entry, hashes of one size;
    // a first line longer than the window (a large ima-buf) judged by its start.
    std::string_view text(reinterpret_cast<const char*>(window.data()), window.size());
    size_t size = 0, lines = 0;
    while (!text.empty() && lines < kProbeEntries) {
      size_t nl = text.find('\n');
      if (nl == std::string_view::npos && !complete && lines > 0) break;
      std::string_view line = text.substr(0, nl);
      size_t d = ascii_entry_digest_size(line);
      if (d == 0 || (size && d != size)) return false;
      size = d;
      ++lines;
      if (nl == std::string_view::npos) break;
      text.remove_prefix(nl + 1);
    }
    return lines > 0;
  }
  // Binary: the layout must carry through several entries (or the whole input).
  // A first entry larger than the window counts once its header and lengths held.
  Probe p = best_probe(window, complete, std::nullopt);
  if (p.why.empty()) return p.entries >= 1 || p.progress >= 5;
  return p.entries >= 3 || (p.truncated && p.entries >= 1);
}

std::optional<HashAlg> parse_ima_bank(std::string_view name) {
  if (name == "sha1") return HashAlg::kSha1;
  if (name == "sha256") return HashAlg::kSha256;
  if (name == "sha384") return HashAlg::kSha384;
  if (name == "sha512") return HashAlg::kSha512;
  if (name == "sm3") return HashAlg::kSm3_256;
  return std::nullopt;
}

std::optional<HashAlg> ima_bank_option(std::string_view text) {
  if (text.empty()) return std::nullopt;
  auto alg = parse_ima_bank(text);
  if (!alg)
    throw_usage(fmt::format("unknown IMA bank '{}' (sha1, sha256, sha384, sha512, sm3)", text));
  return alg;
}

std::optional<HashAlg> ima_bank_from_file_name(std::string_view path) {
  std::string_view f = path.substr(
      path.find_last_of('/') == std::string_view::npos ? 0 : path.find_last_of('/') + 1);
  for (int pass = 0; pass < 2; ++pass) {
    size_t us = f.find_last_of('_');
    if (us != std::string_view::npos)
      if (auto alg = parse_ima_bank(f.substr(us + 1))) return alg;
    // Then without an extension ("..._sha256.bin").
    size_t dot = f.find_last_of('.');
    if (dot == std::string_view::npos) break;
    f = f.substr(0, dot);
  }
  return std::nullopt;
}

ImaReader::ImaReader(const std::filesystem::path& path, std::optional<ImaFormat> format,
                     std::optional<HashAlg> bank)
    : name_(path.string()) {
  fd_.reset(open_input(path));
  // A regular file is mapped: no copy, and the page cache (not the heap) holds it.
  if ((mapping_ = MappedFile::map(fd_.get(), name_))) {
    mapping_->advise_sequential();
    memory_ = mapping_->bytes();
    fd_.reset();
    eof_ = true;
  }
  fill(kProbeBytes);
  format_ = format ? *format : sniff_ima(std::span(head(), std::min<size_t>(available(), 64)));
  choose_bank(bank);
}

ImaReader::ImaReader(std::span<const uint8_t> data, std::string name,
                     std::optional<ImaFormat> format, std::optional<HashAlg> bank)
    : name_(std::move(name)), memory_(data), eof_(true) {
  format_ = format ? *format : sniff_ima(data.first(std::min<size_t>(data.size(), 64)));
  choose_bank(bank);
}

void ImaReader::choose_bank(std::optional<HashAlg> bank) {
  if (bank) {
    bank_source_ = ImaBankSource::kOption;
  } else if ((bank = ima_bank_from_file_name(name_))) {
    bank_source_ = ImaBankSource::kFileName;
  }
  if (bank) {
    bank_ = *bank;
    digest_size_ = digest_size(*bank);
  }
  const size_t n = std::min(available(), kProbeBytes);
  if (n == 0) return;  // an empty list
  auto window = std::span(head(), n);
  if (format_ == ImaFormat::kAscii) {
    // The first line's hash length gives the size; every line is then held to it.
    if (bank) return;
    std::string_view text(reinterpret_cast<const char*>(window.data()), window.size());
    size_t d = ascii_entry_digest_size(text.substr(0, text.find('\n')));
    for (size_t k = 0; k < kDigestSizes.size(); ++k)
      if (kDigestSizes[k] == d) bank_ = kSizeBanks[k], digest_size_ = d;
    return;
  }
  const bool complete = eof_ && n == available();
  Probe p = best_probe(window, complete, bank ? std::optional(digest_size_) : std::nullopt);
  if (p.entries == 0 && !p.why.empty()) {
    std::string sizes = bank ? fmt::format("{} bytes ({})", digest_size_, hash_alg_name(bank_))
                             : std::string("20/32/48/64 bytes");
    fail(p.fail_at, fmt::format("not an IMA list: entry at offset {}: {} (expected PCR index, "
                                "digest of {}, template name)",
                                p.entry_at, p.why, sizes));
  }
  if (!bank)
    for (size_t k = 0; k < kDigestSizes.size(); ++k)
      if (kDigestSizes[k] == p.dsize) bank_ = kSizeBanks[k], digest_size_ = p.dsize;
}

ImaReader::~ImaReader() = default;

void ImaReader::fail(uint64_t where, const std::string& message) const {
  if (format_ == ImaFormat::kAscii)
    throw_bad_input(fmt::format("line {}: {}", where, message), name_);
  throw_bad_input(message, name_, where);
}

const uint8_t* ImaReader::head() const {
  return (!fd_ ? memory_.data() : buf_.data()) + start_;
}

size_t ImaReader::available() const {
  return (!fd_ ? memory_.size() : end_) - start_;
}

bool ImaReader::fill(size_t n) {
  if (!fd_ || end_ - start_ >= n) return available() >= n;
  // Move the unread tail to the front, then read until n bytes are there or the file ends.
  if (start_ > 0) {
    std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  if (buf_.size() < std::max(n, kChunk)) buf_.resize(std::max(n, kChunk));
  while (end_ < n && !eof_) {
    ssize_t r = ::read(fd_.get(), buf_.data() + end_, buf_.size() - end_);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_environment(std::strerror(errno), name_);
    if (r == 0) eof_ = true;
    end_ += static_cast<size_t>(r);
  }
  return end_ - start_ >= n;
}

void ImaReader::need(size_t n, size_t at, const char* what) {
  if (fill(n)) return;
  size_t have = available();
  fail(consumed_ + at, fmt::format("truncated: {} needs {} bytes, {} left", what, n - at,
                                   have > at ? have - at : 0));
}

void ImaReader::advance(size_t n) {
  start_ += n;
  consumed_ += n;
}

bool ImaReader::next_record(ImaRecord& out) {
  return format_ == ImaFormat::kAscii ? next_ascii(out) : next_binary(out);
}

bool ImaReader::next(ImaEntry& out) {
  ImaRecord r;
  if (!next_record(r)) return false;
  out.where = r.where;
  out.pcr = r.pcr;
  out.logged = Digest(bank_, r.logged);
  out.template_name.assign(r.template_name);
  out.template_data.assign(r.template_data.begin(), r.template_data.end());
  out.file_digest.clear();
  out.name.clear();
  out.extra.clear();
  auto data = r.template_data;
  if (r.template_name == "ima") {
    // d (20) || name zero-padded to 256.
    out.file_digest = to_hex(data.first(kSha1Size));
    auto nm = data.subspan(kSha1Size);
    out.name.assign(nm.begin(), std::find(nm.begin(), nm.end(), uint8_t{0}));
    return true;
  }
  if (!is_ng_family(r.template_name)) return true;
  // Fields for display (their framing was checked when the record was read).
  std::vector<std::span<const uint8_t>> fields;
  for (size_t pos = 0; pos + 4 <= data.size();) {
    uint32_t fl = load_le32(data.data() + pos);
    if (fl > data.size() - pos - 4) break;
    fields.push_back(data.subspan(pos + 4, fl));
    pos += 4 + fl;
  }
  if (fields.size() < 2) return true;
  out.file_digest = render_dng(fields[0]);
  auto nm = fields[1];
  size_t nlen = nm.size();
  if (nlen > 0 && nm[nlen - 1] == 0) --nlen;
  out.name.assign(nm.begin(), nm.begin() + static_cast<ptrdiff_t>(nlen));
  if (fields.size() > 2) out.extra = to_hex(fields[2]);
  return true;
}

bool ImaReader::next_binary(ImaRecord& out) {
  if (!fill(1)) return false;
  const uint64_t where = consumed_;
  out.where = where;
  const size_t dsize = digest_size_;
  need(4, 0, "PCR");
  need(4 + dsize, 4, "template hash");
  need(8 + dsize, 4 + dsize, "template name length");
  uint32_t pcr = load_le32(head());
  if (pcr >= kPcrCount) fail(where, fmt::format("PCR {} is out of range", pcr));
  uint32_t n = load_le32(head() + 4 + dsize);
  if (n == 0 || n > kMaxName)
    fail(where + 4 + dsize, fmt::format("template name length {} (1-{})", n, kMaxName));
  size_t off = 8 + dsize;
  need(off + n, off, "template name");
  const bool legacy = n == 3 && std::memcmp(head() + off, "ima", 3) == 0;
  off += n;
  size_t total;
  if (legacy) {
    // Legacy: d (20) || u32 strlen || name without NUL; the hash covers the name padded to 256.
    need(off + kSha1Size, off, "ima digest");
    need(off + kSha1Size + 4, off + kSha1Size, "ima name length");
    uint32_t len = load_le32(head() + off + kSha1Size);
    if (len > kMaxName)
      fail(where + off + kSha1Size, fmt::format("ima name length {} (at most {})", len, kMaxName));
    total = off + kSha1Size + 4 + len;
    need(total, off + kSha1Size + 4, "ima name");
    const uint8_t* p = head();
    scratch_.assign(kSha1Size + kLegacyNameField, 0);
    std::memcpy(scratch_.data(), p + off, kSha1Size);
    std::memcpy(scratch_.data() + kSha1Size, p + off + kSha1Size + 4, len);
    out.template_data = scratch_;
  } else {
    need(off + 4, off, "template data length");
    uint32_t len = load_le32(head() + off);
    if (len > kMaxTemplateData)
      fail(where + off, fmt::format("template data length {} exceeds {}", len, kMaxTemplateData));
    total = off + 4 + len;
    need(total, off + 4, "template data");
    auto data = std::span(head() + off + 4, len);
    out.template_data = data;
    std::string_view tn(reinterpret_cast<const char*>(head() + 8 + dsize), n);
    if (is_ng_family(tn)) {
      // The hash covers the data whatever the template; the ima-ng family's data must still
      // be a list of length-prefixed fields, at least d-ng and n-ng.
      size_t pos = 0, fields = 0;
      while (pos + 4 <= data.size()) {
        uint32_t fl = load_le32(data.data() + pos);
        if (fl > data.size() - pos - 4) break;
        pos += 4 + fl;
        ++fields;
      }
      if (fields < 2 || pos != data.size())
        fail(where + off,
             fmt::format("{} template data is not a list of length-prefixed fields", tn));
    }
  }
  const uint8_t* p = head();
  out.pcr = pcr;
  out.logged = std::span(p + 4, dsize);
  out.template_name = std::string_view(reinterpret_cast<const char*>(p + 8 + dsize), n);
  advance(total);
  return true;
}

namespace {

// Appends a u32 length prefix to be filled in by end_field.
size_t begin_field(std::vector<uint8_t>& out) {
  out.resize(out.size() + 4);
  return out.size();
}

void end_field(std::vector<uint8_t>& out, size_t start) {
  size_t len = out.size() - start;
  for (size_t i = 0; i < 4; ++i) out[start - 4 + i] = static_cast<uint8_t>(len >> (8 * i));
}

}  // namespace

std::optional<std::string_view> ImaReader::ascii_line() {
  // Find the newline within the buffered data, growing the buffer up to kMaxLine.
  size_t len = 0;
  for (;;) {
    size_t have = available();
    const void* nl = std::memchr(head(), '\n', have);
    if (nl) {
      len = static_cast<size_t>(static_cast<const uint8_t*>(nl) - head());
      break;
    }
    if (have > kMaxLine) fail(line_ + 1, "line too long");
    if (!fd_ || eof_) {
      if (have == 0) return std::nullopt;
      len = have;  // last line without a newline
      break;
    }
    fill(have + kChunk);
  }
  ++line_;
  std::string_view line(reinterpret_cast<const char*>(head()), len);
  advance(std::min(len + 1, available()));
  return line;
}

std::string_view ImaReader::ascii_token(std::string_view& s, const char* what) const {
  size_t sp = s.find(' ');
  if (sp == std::string_view::npos) fail(line_, fmt::format("missing {}", what));
  std::string_view t = s.substr(0, sp);
  s.remove_prefix(sp + 1);
  return t;
}

bool ImaReader::next_ascii(ImaRecord& out) {
  const auto line = ascii_line();
  if (!line) return false;
  out.where = line_;
  std::string_view rest = *line;
  std::string_view pcr = ascii_token(rest, "template hash");
  unsigned p = 0;
  for (char c : pcr) {
    if (c < '0' || c > '9' || p > 100) fail(line_, fmt::format("bad PCR '{}'", pcr));
    p = p * 10 + static_cast<unsigned>(c - '0');
  }
  if (pcr.empty() || p >= kPcrCount) fail(line_, fmt::format("bad PCR '{}'", pcr));
  out.pcr = p;
  std::string_view th = ascii_token(rest, "template name");
  scratch_.clear();
  if (th.size() != 2 * digest_size_ || !append_hex(scratch_, th))
    fail(line_, fmt::format("template hash is not {} hex digits (a {} list)", 2 * digest_size_,
                            hash_alg_name(bank_)));
  std::copy(scratch_.begin(), scratch_.end(), logged_.begin());
  out.logged = std::span(logged_.data(), digest_size_);
  out.template_name = ascii_token(rest, "template fields");
  scratch_.clear();
  if (out.template_name == "ima") {
    ascii_legacy_data(rest);
  } else {
    if (!is_ng_family(out.template_name) || out.template_name == "ima-modsig")
      fail(line_,
           fmt::format("template '{}' cannot be rebuilt from the ASCII list", out.template_name));
    ascii_ng_data(rest, out.template_name != "ima-ng");
  }
  out.template_data = scratch_;
  return true;
}

void ImaReader::ascii_legacy_data(std::string_view rest) {
  std::string_view d = ascii_token(rest, "file name");
  if (d.size() != 2 * kSha1Size || !append_hex(scratch_, d))
    fail(line_, "ima digest is not 40 hex digits");
  if (rest.size() > kMaxName) fail(line_, "ima file name longer than 255 bytes");
  scratch_.insert(scratch_.end(), rest.begin(), rest.end());
  scratch_.resize(kSha1Size + kLegacyNameField, 0);
}

void ImaReader::ascii_ng_data(std::string_view rest, bool has_extra) {
  std::string_view dng = rest.substr(0, rest.find(' '));
  if (dng.size() == rest.size()) fail(line_, "missing file name");
  rest.remove_prefix(dng.size() + 1);
  size_t colon = dng.find(':');
  if (colon == std::string_view::npos) fail(line_, "digest is not alg:hex");
  // d-ng: "alg:" NUL digest
  size_t f = begin_field(scratch_);
  scratch_.insert(scratch_.end(), dng.begin(), dng.begin() + static_cast<ptrdiff_t>(colon) + 1);
  scratch_.push_back(0);
  if (!append_hex(scratch_, dng.substr(colon + 1))) fail(line_, "digest is not alg:hex");
  end_field(scratch_, f);
  std::string_view name = rest, extra;
  if (has_extra) {
    size_t sp = rest.rfind(' ');
    if (sp == std::string_view::npos) fail(line_, "missing signature/buffer field");
    name = rest.substr(0, sp);
    extra = rest.substr(sp + 1);
  }
  // n-ng: name NUL
  f = begin_field(scratch_);
  scratch_.insert(scratch_.end(), name.begin(), name.end());
  scratch_.push_back(0);
  end_field(scratch_, f);
  if (has_extra) {
    f = begin_field(scratch_);
    if (!append_hex(scratch_, extra)) fail(line_, "signature/buffer field is not hex");
    end_field(scratch_, f);
  }
}

}  // namespace integral
