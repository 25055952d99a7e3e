// TCG PC Client firmware event logs: the SHA-1 format (TCG_PCR_EVENT, as TPM 1.2 firmware and
// some TPM 2.0 firmware write it) and the crypto-agile format (a Spec ID event, then
// TCG_PCR_EVENT2 with one digest per bank). Both read into a Chain whose events carry the log
// file and byte offset as provenance.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "integral/chain/event.h"
#include "integral/crypto/hash_alg.h"
#include "integral/tpm/pcr_selection.h"
#include "integral/tpm/pcr_set.h"
#include "integral/util/byte_reader.h"

namespace integral {

enum class TcgLogFormat { kSha1, kCryptoAgile };

struct SpecIdAlgorithm {
  uint16_t id;
  uint16_t digest_size;
};

// TCG_EfiSpecIdEvent (the data of the first event of a crypto-agile log).
struct SpecId {
  std::string signature;  // "Spec ID Event03"
  uint32_t platform_class = 0;
  uint8_t version_minor = 0, version_major = 0, errata = 0, uintn_size = 0;
  std::vector<SpecIdAlgorithm> algorithms;
  std::vector<uint8_t> vendor_info;
};

// Parses a Spec ID event's data; `base` is its offset in `file` (for errors).
SpecId parse_spec_id(std::span<const uint8_t> data, const std::string& file, uint64_t base);

// Which format a log is: the first event is always in the SHA-1 layout; it is a crypto-agile
// log exactly when that event is PCR 0 EV_NO_ACTION carrying "Spec ID Event03".
TcgLogFormat sniff_tcg_log(std::span<const uint8_t> data, const std::string& file);

struct TcgLog {
  TcgLogFormat format = TcgLogFormat::kSha1;
  std::optional<SpecId> spec_id;
  std::vector<HashAlg> banks;  // banks the log carries that integral knows (Spec ID order)
  Chain chain;                 // every event, EV_NO_ACTION included (never extended)
};

// One event as it sits in the log: views into the log's bytes, no copies (replay of large logs).
struct TcgRawEvent {
  uint64_t offset = 0;
  uint32_t pcr = 0, type = 0;
  size_t digest_count = 0;  // digests of algorithms integral knows, in log order
  std::array<std::pair<HashAlg, std::span<const uint8_t>>, 8> digests;
  std::span<const uint8_t> data;
};

// Reads events one at a time, so a caller can replay without keeping them (events still
// reference nothing of the input once returned).
class TcgLogReader {
 public:
  TcgLogReader(std::span<const uint8_t> data, std::string file);
  TcgLogFormat format() const { return format_; }
  const std::optional<SpecId>& spec_id() const { return spec_id_; }
  const std::vector<HashAlg>& banks() const { return banks_; }
  // Whether next() fills Event::description (display decoding costs more than parsing).
  void set_describe(bool on) { describe_ = on; }
  // The next event, or false at the end (trailing all-zero or all-0xFF padding counts as the
  // end: logs copied out of firmware memory keep the unused part of the log area).
  bool next(Event& out);
  // The same event as views into the log (valid as long as the log's bytes).
  bool next_raw(TcgRawEvent& out);

 private:
  std::span<const uint8_t> data_;
  std::string file_;
  ByteReader r_;  // over the whole log, at the next event
  TcgLogFormat format_;
  std::optional<SpecId> spec_id_;
  std::vector<HashAlg> banks_;
  bool describe_ = true;
};

TcgLog read_tcg_log(std::span<const uint8_t> data, const std::string& file);

// Replays a log without keeping its events (large logs): the same values as
// replay(read_tcg_log(...).chain, banks), with the PCRs it extends and the event count.
struct TcgReplay {
  TcgLogFormat format;
  std::vector<HashAlg> banks;
  PcrSet values;
  PcrSelection touched;
  uint64_t events = 0;
  uint8_t startup_locality = 0;
  bool hcrtm = false;  // startup_locality 4 from an H-CRTM event (pcr0_start_locality)
};
TcgReplay replay_tcg_log(std::span<const uint8_t> data, const std::string& file);

// Where PCR 0 started, from what a log says: a StartupLocality event's locality; else 4 when
// PCR 0's first extended event is EV_EFI_HCRTM_EVENT (TCG PC Client Platform Firmware Profile:
// an H-CRTM measures through _TPM_Hash_Start at locality 4, which resets PCR 0 to 0...04;
// tpm2-tss replays it so too); else 0. `hcrtm` tells whether the H-CRTM rule decided.
struct Pcr0Start {
  std::optional<uint8_t> logged_locality;  // the last StartupLocality event's
  std::optional<uint32_t> first_type;      // the type of PCR 0's first extended event
  void see(uint32_t pcr, uint32_t type, std::span<const uint8_t> data);
  uint8_t locality() const;
  bool hcrtm() const;
};
// Pcr0Start over a chain's events: whether its PCR 0 start came from the H-CRTM rule.
bool pcr0_starts_by_hcrtm(const Chain& chain);

// The locality of a StartupLocality EV_NO_ACTION event, if `e` is one.
std::optional<uint8_t> startup_locality_of(const Event& e);
std::optional<uint8_t> startup_locality_of(uint32_t pcr, uint32_t type,
                                           std::span<const uint8_t> data);

}  // namespace integral
