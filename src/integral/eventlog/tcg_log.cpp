#include "integral/eventlog/tcg_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "integral/chain/event_type.h"
#include "integral/crypto/digest.h"
#include "integral/eventlog/byte_reader.h"
#include "integral/eventlog/payload.h"
#include "integral/tpm/pcr_set.h"

namespace integral {

namespace {

constexpr char kSpecId03[] = "Spec ID Event03";  // 15 characters + NUL in the log
constexpr char kStartupLocality[] = "StartupLocality";
constexpr size_t kSha1Size = 20;

bool starts_with(std::span<const uint8_t> data, const char* text, size_t n) {
  return data.size() >= n && std::memcmp(data.data(), text, n) == 0;
}

bool is_padding(std::span<const uint8_t> rest) {
  if (rest.empty()) return true;
  uint8_t b = rest[0];
  if (b != 0x00 && b != 0xFF) return false;
  return std::all_of(rest.begin(), rest.end(), [b](uint8_t c) { return c == b; });
}

void check_pcr(const ByteReader& r, uint64_t at, uint32_t pcr, uint32_t type) {
  // EV_NO_ACTION is never extended, so its PCR index is informational only.
  if (type != ev::kNoAction && pcr >= kPcrCount)
    r.fail_at(at, fmt::format("PCR index {} is out of range (0-{})", pcr, kPcrCount - 1));
}

}  // namespace

SpecId parse_spec_id(std::span<const uint8_t> data, const std::string& file, uint64_t base) {
  ByteReader r(data, file, base);
  SpecId s;
  auto sig = r.bytes(16, "Spec ID signature");
  s.signature.assign(reinterpret_cast<const char*>(sig.data()),
                     strnlen(reinterpret_cast<const char*>(sig.data()), sig.size()));
  s.platform_class = r.u32("Spec ID platformClass");
  s.version_minor = r.u8("Spec ID specVersionMinor");
  s.version_major = r.u8("Spec ID specVersionMajor");
  s.errata = r.u8("Spec ID specErrata");
  s.uintn_size = r.u8("Spec ID uintnSize");
  uint64_t count_at = r.offset();
  uint32_t n = r.u32("Spec ID numberOfAlgorithms");
  // Each entry is 4 bytes: a count the data cannot hold is a lie, refused before reserving.
  if (n == 0 || n > r.remaining() / 4)
    r.fail_at(count_at, fmt::format("Spec ID numberOfAlgorithms {} does not fit the event", n));
  s.algorithms.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t at = r.offset();
    SpecIdAlgorithm a{r.u16("Spec ID algorithmId"), r.u16("Spec ID digestSize")};
    if (auto alg = hash_alg_from_id(a.id); alg && digest_size(*alg) != a.digest_size)
      r.fail_at(at, fmt::format("Spec ID gives {} a digest size of {}, not {}", hash_alg_name(*alg),
                                a.digest_size, digest_size(*alg)));
    for (const auto& b : s.algorithms)
      if (b.id == a.id) r.fail_at(at, fmt::format("Spec ID lists algorithm {:#06x} twice", a.id));
    s.algorithms.push_back(a);
  }
  uint8_t vendor = r.u8("Spec ID vendorInfoSize");
  auto v = r.bytes(vendor, "Spec ID vendorInfo");
  s.vendor_info.assign(v.begin(), v.end());
  return s;
}

TcgLogFormat sniff_tcg_log(std::span<const uint8_t> data, const std::string& file) {
  ByteReader r(data, file);
  if (data.empty()) r.fail("empty event log");
  uint32_t pcr = r.u32("first event PCRIndex");
  uint32_t type = r.u32("first event EventType");
  r.skip(kSha1Size, "first event digest");
  uint32_t size = r.u32("first event EventSize");
  auto body = r.bytes(size, "first event data");
  if (pcr == 0 && type == ev::kNoAction && starts_with(body, kSpecId03, sizeof kSpecId03))
    return TcgLogFormat::kCryptoAgile;
  return TcgLogFormat::kSha1;
}

TcgLogReader::TcgLogReader(std::span<const uint8_t> data, std::string file)
    : data_(data), file_(std::move(file)), format_(sniff_tcg_log(data_, file_)) {
  if (format_ == TcgLogFormat::kSha1) {
    banks_ = {HashAlg::kSha1};
    return;
  }
  // The Spec ID event's data starts after the SHA-1 layout header (4 + 4 + 20 + 4 bytes).
  constexpr size_t kHeader = 32;
  ByteReader r(data_, file_);
  r.skip(kHeader - 4, "Spec ID header");
  uint32_t size = r.u32("Spec ID EventSize");
  spec_id_ = parse_spec_id(r.bytes(size, "Spec ID event"), file_, kHeader);
  for (const auto& a : spec_id_->algorithms)
    if (auto alg = hash_alg_from_id(a.id)) banks_.push_back(*alg);
}

bool TcgLogReader::next(Event& out) {
  if (pos_ >= data_.size() || is_padding(data_.subspan(pos_))) return false;
  ByteReader r(data_.subspan(pos_), file_, pos_);
  const uint64_t start = pos_;
  out.pcr = r.u32("PCRIndex");
  uint32_t type = r.u32("EventType");
  out.type = type;
  check_pcr(r, start, out.pcr, type);
  out.digests.clear();
  // The first event is in the SHA-1 layout in both formats.
  if (format_ == TcgLogFormat::kSha1 || start == 0) {
    out.digests.emplace_back(HashAlg::kSha1, r.bytes(kSha1Size, "SHA-1 digest"));
  } else {
    uint64_t count_at = r.offset();
    uint32_t count = r.u32("DigestCount");
    if (count > spec_id_->algorithms.size())
      r.fail_at(count_at,
                fmt::format("DigestCount {} exceeds the {} algorithms of the Spec ID event", count,
                            spec_id_->algorithms.size()));
    for (uint32_t i = 0; i < count; ++i) {
      uint64_t at = r.offset();
      uint16_t id = r.u16("digest AlgorithmId");
      auto it = std::find_if(spec_id_->algorithms.begin(), spec_id_->algorithms.end(),
                             [id](const SpecIdAlgorithm& a) { return a.id == id; });
      if (it == spec_id_->algorithms.end())
        r.fail_at(at, fmt::format("digest algorithm {:#06x} is not in the Spec ID event", id));
      auto bytes = r.bytes(it->digest_size, "digest");
      // Algorithms integral cannot compute are skipped by the size the Spec ID table gives.
      if (auto alg = hash_alg_from_id(id)) {
        for (const auto& d : out.digests)
          if (d.alg() == *alg) r.fail_at(at, fmt::format("two {} digests", hash_alg_name(*alg)));
        out.digests.emplace_back(*alg, bytes);
      }
    }
  }
  uint64_t size_at = r.offset();
  uint32_t size = r.u32("EventSize");
  if (size > r.remaining())
    r.fail_at(size_at, fmt::format("EventSize {} runs past the end of the log ({} bytes left)",
                                   size, r.remaining()));
  auto body = r.bytes(size, "event data");
  out.data.assign(body.begin(), body.end());
  if (describe_)
    out.description = describe_event(type, body);
  else
    out.description.clear();
  out.provenance = Provenance{file_, {}, start};
  pos_ += r.pos();
  return true;
}

TcgLog read_tcg_log(std::span<const uint8_t> data, const std::string& file) {
  TcgLogReader reader(data, file);
  TcgLog log;
  log.format = reader.format();
  log.spec_id = reader.spec_id();
  log.banks = reader.banks();
  Event e;
  while (reader.next(e)) {
    if (auto loc = startup_locality_of(e)) log.chain.startup_locality = *loc;
    log.chain.events.push_back(std::move(e));
    e = Event{};
  }
  return log;
}

TcgReplay replay_tcg_log(std::span<const uint8_t> data, const std::string& file) {
  TcgLogReader reader(data, file);
  reader.set_describe(false);
  const std::vector<HashAlg>& banks = reader.banks();
  TcgReplay r{reader.format(), banks, PcrSet(banks), {}, 0, 0};
  // One reusable hashing context per bank: extends are most of the work on large logs.
  std::vector<Hasher> hashers;
  for (HashAlg alg : banks) hashers.emplace_back(alg);
  // PCR 0's start depends on a StartupLocality event, which could in principle come after
  // PCR 0's first extend: PCR 0 digests are kept and replayed at the end.
  std::vector<Digest> pcr0;
  Event e;
  while (reader.next(e)) {
    ++r.events;
    if (auto loc = startup_locality_of(e)) r.startup_locality = *loc;
    if (!e.extends()) continue;
    for (const Digest& d : e.digests) {
      size_t b = 0;
      while (b < banks.size() && banks[b] != d.alg()) ++b;
      if (b == banks.size()) continue;
      r.touched.add(d.alg(), e.pcr);
      if (e.pcr == 0) {
        pcr0.push_back(d);
        continue;
      }
      Hasher& h = hashers[b];
      h.update(r.values.get(d.alg(), e.pcr).bytes());
      h.update(d.bytes());
      r.values.set(e.pcr, h.finish());
    }
  }
  for (HashAlg alg : banks) r.values.set(0, pcr_reset_value(alg, 0, r.startup_locality));
  for (const Digest& d : pcr0) r.values.extend(0, d);
  return r;
}

std::optional<uint8_t> startup_locality_of(const Event& e) {
  constexpr size_t n = sizeof kStartupLocality;  // including the NUL
  if (e.pcr != 0 || e.type != ev::kNoAction || e.data.size() < n + 1) return std::nullopt;
  if (!starts_with(e.data, kStartupLocality, n)) return std::nullopt;
  return e.data[n];
}

}  // namespace integral
