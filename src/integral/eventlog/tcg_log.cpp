#include "integral/eventlog/tcg_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <bitset>
#include <cstring>
#include <thread>

#include "integral/chain/event_type.h"
#include "integral/crypto/digest.h"
#include "integral/crypto/quick_hash.h"
#include "integral/eventlog/event_data_text.h"
#include "integral/tpm/pcr_set.h"
#include "integral/util/byte_reader.h"

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
    : data_(data), file_(std::move(file)), r_(data_, file_), format_(sniff_tcg_log(data_, file_)) {
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

bool TcgLogReader::next_raw(TcgRawEvent& out) {
  ByteReader& r = r_;
  if (r.at_end() || is_padding(data_.subspan(r.pos()))) return false;
  const uint64_t start = r.offset();
  out.offset = start;
  out.pcr = r.u32("PCRIndex");
  out.type = r.u32("EventType");
  check_pcr(r, start, out.pcr, out.type);
  out.digest_count = 0;
  // The first event is in the SHA-1 layout in both formats.
  if (format_ == TcgLogFormat::kSha1 || start == 0) {
    out.digests[0] = {HashAlg::kSha1, r.bytes(kSha1Size, "SHA-1 digest")};
    out.digest_count = 1;
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
        for (size_t k = 0; k < out.digest_count; ++k)
          if (out.digests[k].first == *alg)
            r.fail_at(at, fmt::format("two {} digests", hash_alg_name(*alg)));
        // Known algorithms are distinct (checked above), so they fit.
        out.digests[out.digest_count++] = {*alg, bytes};
      }
    }
  }
  uint64_t size_at = r.offset();
  uint32_t size = r.u32("EventSize");
  if (size > r.remaining())
    r.fail_at(size_at, fmt::format("EventSize {} runs past the end of the log ({} bytes left)",
                                   size, r.remaining()));
  out.data = r.bytes(size, "event data");
  return true;
}

bool TcgLogReader::next(Event& out) {
  TcgRawEvent raw;
  if (!next_raw(raw)) return false;
  out.pcr = raw.pcr;
  out.type = raw.type;
  out.digests.clear();
  for (size_t k = 0; k < raw.digest_count; ++k)
    out.digests.emplace_back(raw.digests[k].first, raw.digests[k].second);
  out.data.assign(raw.data.begin(), raw.data.end());
  if (describe_)
    out.description = describe_event(raw.type, raw.data);
  else
    out.description.clear();
  out.provenance = Provenance{file_, {}, raw.offset};
  return true;
}

TcgLog read_tcg_log(std::span<const uint8_t> data, const std::string& file) {
  TcgLogReader reader(data, file);
  TcgLog log;
  log.format = reader.format();
  log.spec_id = reader.spec_id();
  log.banks = reader.banks();
  Event e;
  Pcr0Start start;
  while (reader.next(e)) {
    if (e.type) start.see(e.pcr, *e.type, e.data);
    log.chain.events.push_back(std::move(e));
    e = Event{};
  }
  log.chain.startup_locality = start.locality();
  return log;
}

namespace {

// The extends of a replay. Per bank, the PCRs as raw bytes extended in place with a
// low-overhead hasher: extends are most of the work on large logs. The log is parsed once in
// batches; each bank's extends of a batch (its chain of hashes is sequential, the banks are
// independent) then run on a thread of their own when the batch is large, so a multi-bank log
// replays in about the time of its slowest bank.
class BankReplay {
 public:
  static constexpr size_t kBatch = 1 << 15;  // events parsed per batch

  // `reset`: the PCRs' reset values (all-ones for 17-22).
  BankReplay(const std::vector<HashAlg>& banks, const PcrSet& reset) : work_(banks.size()) {
    for (HashAlg alg : banks) {
      state_.push_back(Bank{alg, QuickHasher(alg), {}});
      for (unsigned i = 0; i < kPcrCount; ++i) {
        auto v = reset.get(alg, i).bytes();
        std::copy(v.begin(), v.end(), state_.back().pcr[i].begin());
      }
    }
  }

  // Queues the digests of an extending event for the banks replayed.
  void queue(const TcgRawEvent& e) {
    for (size_t k = 0; k < e.digest_count; ++k) {
      auto [alg, d] = e.digests[k];
      size_t b = 0;
      while (b < state_.size() && state_[b].alg != alg) ++b;
      if (b == state_.size()) continue;
      touched_[b].set(e.pcr);
      if (e.pcr == 0)
        pcr0_.emplace_back(alg, d);
      else
        work_[b].push_back({e.pcr, d.data()});
    }
  }

  // Runs the queued extends and empties the queues.
  void run_batch() {
    if (state_.size() > 1 && work_[0].size() >= kThreaded) {
      std::vector<std::thread> threads;
      for (size_t b = 1; b < state_.size(); ++b) threads.emplace_back([this, b] { run_bank(b); });
      run_bank(0);
      for (auto& t : threads) t.join();
    } else {
      for (size_t b = 0; b < state_.size(); ++b) run_bank(b);
    }
    for (auto& w : work_) w.clear();
  }

  // The PCRs touched, and the values of PCRs 1-23 (PCR 0: see extend_pcr0).
  void results(TcgReplay& r) const {
    for (size_t b = 0; b < state_.size(); ++b)
      for (unsigned i = 1; i < kPcrCount; ++i)
        if (touched_[b].test(i)) {
          r.touched.add(state_[b].alg, i);
          r.values.set(i, Digest(state_[b].alg,
                                 std::span(state_[b].pcr[i].data(), digest_size(state_[b].alg))));
        }
    for (size_t b = 0; b < state_.size(); ++b)
      if (touched_[b].test(0)) r.touched.add(state_[b].alg, 0);
  }

  // PCR 0's start depends on a StartupLocality event, which could in principle come after PCR
  // 0's first extend: PCR 0 digests are kept and extended once its start is known.
  void extend_pcr0(PcrSet& values) const {
    for (const Digest& d : pcr0_) values.extend(0, d);
  }

 private:
  static constexpr size_t kThreaded = 4096;  // items per bank below which threads cost more
  struct Bank {
    HashAlg alg;
    QuickHasher hasher;
    std::array<std::array<uint8_t, kMaxDigestSize>, kPcrCount> pcr{};
  };
  struct Item {
    uint32_t pcr;
    const uint8_t* digest;
  };

  void run_bank(size_t b) {
    Bank& s = state_[b];
    const size_t n = digest_size(s.alg);
    for (const Item& it : work_[b]) {
      // The hash reads its inputs before writing the output: extending in place is safe.
      uint8_t* v = s.pcr[it.pcr].data();
      s.hasher.hash(std::span(v, n), std::span(it.digest, n), v);
    }
  }

  std::vector<Bank> state_;
  std::vector<std::vector<Item>> work_;
  std::array<std::bitset<kPcrCount>, 8> touched_{};
  std::vector<Digest> pcr0_;
};

}  // namespace

TcgReplay replay_tcg_log(std::span<const uint8_t> data, const std::string& file) {
  TcgLogReader reader(data, file);
  const std::vector<HashAlg>& banks = reader.banks();
  TcgReplay r{reader.format(), banks, PcrSet(banks), {}, 0, 0};
  BankReplay replay(banks, r.values);
  TcgRawEvent e;
  Pcr0Start start;
  bool more = true;
  while (more) {
    size_t parsed = 0;
    while (parsed < BankReplay::kBatch && (more = reader.next_raw(e))) {
      ++parsed;
      ++r.events;
      start.see(e.pcr, e.type, e.data);
      if (e.type != ev::kNoAction) replay.queue(e);
    }
    replay.run_batch();
  }
  replay.results(r);
  r.startup_locality = start.locality();
  r.hcrtm = start.hcrtm();
  for (HashAlg alg : banks) r.values.set(0, pcr_reset_value(alg, 0, r.startup_locality));
  replay.extend_pcr0(r.values);
  return r;
}

void Pcr0Start::see(uint32_t pcr, uint32_t type, std::span<const uint8_t> data) {
  if (auto loc = startup_locality_of(pcr, type, data)) logged_locality = *loc;
  if (pcr == 0 && type != ev::kNoAction && !first_type) first_type = type;
}

bool Pcr0Start::hcrtm() const {
  return !logged_locality && first_type == ev::kEfiHcrtmEvent;
}

bool pcr0_starts_by_hcrtm(const Chain& chain) {
  Pcr0Start start;
  for (const Event& e : chain.events)
    if (e.type) start.see(e.pcr, *e.type, e.data);
  return start.hcrtm();
}

uint8_t Pcr0Start::locality() const {
  if (logged_locality) return *logged_locality;
  return hcrtm() ? 4 : 0;
}

std::optional<uint8_t> startup_locality_of(uint32_t pcr, uint32_t type,
                                           std::span<const uint8_t> data) {
  constexpr size_t n = sizeof kStartupLocality;  // including the NUL
  if (pcr != 0 || type != ev::kNoAction || data.size() < n + 1) return std::nullopt;
  if (!starts_with(data, kStartupLocality, n)) return std::nullopt;
  return data[n];
}

std::optional<uint8_t> startup_locality_of(const Event& e) {
  if (!e.type) return std::nullopt;
  return startup_locality_of(e.pcr, *e.type, e.data);
}

}  // namespace integral
