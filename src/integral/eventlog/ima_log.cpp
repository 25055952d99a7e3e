#include "integral/eventlog/ima_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <bitset>
#include <cerrno>
#include <cstring>

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

uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

void put32(std::vector<uint8_t>& out, size_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void put_field(std::vector<uint8_t>& out, std::span<const uint8_t> field) {
  put32(out, field.size());
  out.insert(out.end(), field.begin(), field.end());
}

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

}  // namespace

bool ImaEntry::violation() const {
  auto b = logged.bytes();
  return std::all_of(b.begin(), b.end(), [](uint8_t c) { return c == 0; });
}

Digest ima_extend_value(const ImaEntry& e, HashAlg bank) {
  if (e.violation()) return Digest::filled(bank, 0xFF);
  return hash(bank, e.template_data);
}

ImaFormat sniff_ima(std::span<const uint8_t> head) {
  size_t i = 0;
  while (i < head.size() && i < 3 && head[i] >= '0' && head[i] <= '9') ++i;
  return i > 0 && i < head.size() && head[i] == ' ' ? ImaFormat::kAscii : ImaFormat::kBinary;
}

bool looks_like_ima(std::span<const uint8_t> head) {
  if (sniff_ima(head) == ImaFormat::kAscii) {
    // "10 <40 hex> ima..."
    size_t sp = 0;
    while (sp < head.size() && head[sp] != ' ') ++sp;
    return head.size() >= sp + 45 &&
           std::string_view(reinterpret_cast<const char*>(head.data()) + sp + 42, 3) == "ima";
  }
  // u32 pcr, 20-byte digest, u32 name length (3..255), name starting "ima".
  if (head.size() < 31) return false;
  uint32_t pcr = le32(head.data()), n = le32(head.data() + 24);
  return pcr < kPcrCount && n >= 3 && n <= kMaxName && std::memcmp(head.data() + 28, "ima", 3) == 0;
}

ImaReader::ImaReader(const std::filesystem::path& path, std::optional<ImaFormat> format)
    : name_(path.string()) {
  fd_ = open_input(path);
  fill(64);
  format_ = format ? *format : sniff_ima(std::span(buf_.data() + start_, end_ - start_));
}

ImaReader::ImaReader(std::span<const uint8_t> data, std::string name,
                     std::optional<ImaFormat> format)
    : name_(std::move(name)), memory_(data), eof_(true) {
  format_ = format ? *format : sniff_ima(data.first(std::min<size_t>(data.size(), 64)));
}

ImaReader::~ImaReader() {
  if (fd_ >= 0) ::close(fd_);
}

void ImaReader::fail(uint64_t where, const std::string& message) const {
  if (format_ == ImaFormat::kAscii)
    throw_bad_input(fmt::format("line {}: {}", where, message), name_);
  throw_bad_input(message, name_, where);
}

bool ImaReader::fill(size_t n) {
  if (fd_ < 0) return memory_.size() - start_ >= n;
  if (end_ - start_ >= n) return true;
  // Move the unread tail to the front, then read until n bytes are there or the file ends.
  if (start_ > 0) {
    std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  if (buf_.size() < std::max(n, kChunk)) buf_.resize(std::max(n, kChunk));
  while (end_ < n && !eof_) {
    ssize_t r = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_environment(std::strerror(errno), name_);
    if (r == 0) eof_ = true;
    end_ += static_cast<size_t>(r);
  }
  return end_ - start_ >= n;
}

std::span<const uint8_t> ImaReader::take(size_t n, const char* what) {
  uint64_t at = consumed_;
  if (!fill(n)) {
    size_t have = (fd_ < 0 ? memory_.size() : end_) - start_;
    fail(at, fmt::format("truncated: {} needs {} bytes, {} left", what, n, have));
  }
  const uint8_t* base = fd_ < 0 ? memory_.data() : buf_.data();
  std::span<const uint8_t> out(base + start_, n);
  start_ += n;
  consumed_ += n;
  return out;
}

bool ImaReader::next(ImaEntry& out) {
  return format_ == ImaFormat::kAscii ? next_ascii(out) : next_binary(out);
}

bool ImaReader::next_binary(ImaEntry& out) {
  if (!fill(1)) return false;
  out.where = consumed_;
  out.pcr = le32(take(4, "PCR").data());
  if (out.pcr >= kPcrCount) fail(out.where, fmt::format("PCR {} is out of range", out.pcr));
  out.logged = Digest(HashAlg::kSha1, take(20, "template hash"));
  uint64_t at = consumed_;
  uint32_t n = le32(take(4, "template name length").data());
  if (n == 0 || n > kMaxName) fail(at, fmt::format("template name length {} (1-{})", n, kMaxName));
  auto tn = take(n, "template name");
  out.template_name.assign(tn.begin(), tn.end());
  out.template_data.clear();
  out.extra.clear();
  if (out.template_name == "ima") {
    // Legacy: d (20) || u32 strlen || name without NUL; the hash covers the name padded to 256.
    auto d = take(20, "ima digest");
    out.template_data.assign(d.begin(), d.end());
    out.file_digest = to_hex(d);
    at = consumed_;
    uint32_t len = le32(take(4, "ima name length").data());
    if (len > kMaxName) fail(at, fmt::format("ima name length {} (at most {})", len, kMaxName));
    auto name = take(len, "ima name");
    out.name.assign(name.begin(), name.end());
    out.template_data.insert(out.template_data.end(), name.begin(), name.end());
    out.template_data.resize(20 + kLegacyNameField, 0);
    return true;
  }
  at = consumed_;
  uint32_t len = le32(take(4, "template data length").data());
  if (len > kMaxTemplateData)
    fail(at, fmt::format("template data length {} exceeds {}", len, kMaxTemplateData));
  auto data = take(len, "template data");
  out.template_data.assign(data.begin(), data.end());
  // Fields for display; the hash covers the data whatever the template.
  std::vector<std::span<const uint8_t>> fields;
  size_t pos = 0;
  while (pos + 4 <= data.size()) {
    uint32_t fl = le32(data.data() + pos);
    if (fl > data.size() - pos - 4) break;
    fields.push_back(data.subspan(pos + 4, fl));
    pos += 4 + fl;
  }
  if (is_ng_family(out.template_name)) {
    if (fields.size() < 2 || pos != data.size())
      fail(at, fmt::format("{} template data is not a list of length-prefixed fields",
                           out.template_name));
    out.file_digest = render_dng(fields[0]);
    auto nm = fields[1];
    size_t nlen = nm.size();
    if (nlen > 0 && nm[nlen - 1] == 0) --nlen;
    out.name.assign(nm.begin(), nm.begin() + static_cast<ptrdiff_t>(nlen));
    if (fields.size() > 2) out.extra = to_hex(fields[2]);
  } else {
    out.file_digest.clear();
    out.name.clear();
  }
  return true;
}

bool ImaReader::next_ascii(ImaEntry& out) {
  // One line: find the newline within the buffered data, growing the buffer up to kMaxLine.
  size_t len = 0;
  for (;;) {
    const uint8_t* base = fd_ < 0 ? memory_.data() : buf_.data();
    size_t have = (fd_ < 0 ? memory_.size() : end_) - start_;
    const uint8_t* nl = static_cast<const uint8_t*>(std::memchr(base + start_, '\n', have));
    if (nl) {
      len = static_cast<size_t>(nl - (base + start_));
      break;
    }
    if (have > kMaxLine) fail(line_ + 1, "line too long");
    if (fd_ < 0 || eof_) {
      if (have == 0) return false;
      len = have;  // last line without a newline
      break;
    }
    fill(have + kChunk);
  }
  ++line_;
  const uint8_t* base = fd_ < 0 ? memory_.data() : buf_.data();
  std::string_view line(reinterpret_cast<const char*>(base + start_), len);
  size_t avail = (fd_ < 0 ? memory_.size() : end_) - start_;
  size_t eat = std::min(len + 1, avail);
  start_ += eat;
  consumed_ += eat;
  out.where = line_;

  auto token = [&](std::string_view& s, const char* what) {
    size_t sp = s.find(' ');
    if (sp == std::string_view::npos) fail(line_, fmt::format("missing {}", what));
    std::string_view t = s.substr(0, sp);
    s.remove_prefix(sp + 1);
    return t;
  };
  std::string_view rest = line;
  std::string_view pcr = token(rest, "template hash");
  unsigned p = 0;
  for (char c : pcr) {
    if (c < '0' || c > '9' || p > 100) fail(line_, fmt::format("bad PCR '{}'", pcr));
    p = p * 10 + static_cast<unsigned>(c - '0');
  }
  if (pcr.empty() || p >= kPcrCount) fail(line_, fmt::format("bad PCR '{}'", pcr));
  out.pcr = p;
  auto th = Digest::from_hex(HashAlg::kSha1, token(rest, "template name"));
  if (!th) fail(line_, "template hash is not 40 hex digits");
  out.logged = *th;
  out.template_name = std::string(token(rest, "template fields"));
  out.template_data.clear();
  out.extra.clear();
  if (out.template_name == "ima") {
    std::string_view d = token(rest, "file name");
    auto bytes = from_hex(d);
    if (!bytes || bytes->size() != 20) fail(line_, "ima digest is not 40 hex digits");
    if (rest.size() > kMaxName) fail(line_, "ima file name longer than 255 bytes");
    out.file_digest = std::string(d);
    out.name = std::string(rest);
    out.template_data = *bytes;
    out.template_data.insert(out.template_data.end(), rest.begin(), rest.end());
    out.template_data.resize(20 + kLegacyNameField, 0);
    return true;
  }
  if (!is_ng_family(out.template_name) || out.template_name == "ima-modsig")
    fail(line_,
         fmt::format("template '{}' cannot be rebuilt from the ASCII list", out.template_name));
  std::string_view dng = rest.substr(0, rest.find(' '));
  if (dng.size() == rest.size()) fail(line_, "missing file name");
  rest.remove_prefix(dng.size() + 1);
  size_t colon = dng.find(':');
  if (colon == std::string_view::npos) fail(line_, "digest is not alg:hex");
  auto digest = from_hex(dng.substr(colon + 1));
  if (!digest) fail(line_, "digest is not alg:hex");
  std::vector<uint8_t> f(dng.begin(), dng.begin() + static_cast<ptrdiff_t>(colon) + 1);
  f.push_back(0);
  f.insert(f.end(), digest->begin(), digest->end());
  put_field(out.template_data, f);
  out.file_digest = std::string(dng);
  std::string_view name = rest;
  std::optional<Bytes> extra;
  if (out.template_name != "ima-ng") {
    size_t sp = rest.rfind(' ');
    if (sp == std::string_view::npos) fail(line_, "missing signature/buffer field");
    name = rest.substr(0, sp);
    extra = from_hex(rest.substr(sp + 1));
    if (!extra) fail(line_, "signature/buffer field is not hex");
    out.extra = std::string(rest.substr(sp + 1));
  }
  out.name = std::string(name);
  std::vector<uint8_t> n(name.begin(), name.end());
  n.push_back(0);
  put_field(out.template_data, n);
  if (extra) put_field(out.template_data, *extra);
  return true;
}

ImaReplay replay_ima(ImaReader& reader, const std::vector<HashAlg>& banks) {
  ImaReplay r{PcrSet(banks), 0, 0, {}, 0, {}};
  // Reusable contexts: per bank one for the template hash and one for the extend.
  std::vector<Hasher> templ, ext;
  for (HashAlg alg : banks) templ.emplace_back(alg), ext.emplace_back(alg);
  Hasher sha1(HashAlg::kSha1);
  std::vector<Digest> values(banks.size());
  ImaEntry e;
  std::bitset<kPcrCount> touched;
  while (reader.next(e)) {
    ++r.entries;
    touched.set(e.pcr);
    const bool violation = e.violation();
    std::optional<Digest> computed_sha1;
    for (size_t b = 0; b < banks.size(); ++b) {
      if (violation) {
        values[b] = Digest::filled(banks[b], 0xFF);
        continue;
      }
      templ[b].update(e.template_data);
      values[b] = templ[b].finish();
      if (banks[b] == HashAlg::kSha1) computed_sha1 = values[b];
    }
    if (violation) {
      ++r.violations;
    } else {
      if (!computed_sha1) {
        sha1.update(e.template_data);
        computed_sha1 = sha1.finish();
      }
      if (!(*computed_sha1 == e.logged)) {
        if (r.mismatches.size() < 10)
          r.mismatches.push_back({e.where, e.name, e.logged.hex(), computed_sha1->hex()});
        ++r.mismatch_count;
      }
    }
    for (size_t b = 0; b < banks.size(); ++b) {
      ext[b].update(r.values.get(banks[b], e.pcr).bytes());
      ext[b].update(values[b].bytes());
      r.values.set(e.pcr, ext[b].finish());
    }
  }
  for (unsigned i = 0; i < kPcrCount; ++i)
    if (touched.test(i)) r.pcrs.push_back(i);
  return r;
}

}  // namespace integral
