// TXT launch logs as users capture them: the event-log sections of txt-stat's text output (and
// of tboot's serial log, which prints them the same way): the TPM 1.2 "TXT Event Container" and
// the TPM 2.0 TCG-format log. Also the TXT event type names and the replay into PCRs 17-22.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "integral/chain/event_type.h"
#include "integral/crypto/digest.h"
#include "integral/tpm/pcr_set.h"
#include "integral/util/hex.h"

namespace integral {

struct TxtLogEvent {
  uint32_t pcr = 0;
  uint32_t type = 0;
  std::vector<Digest> digests;  // one per bank the record carries
  Bytes data;
  uint64_t line = 0;               // 1-based line of the record in the text
  std::optional<uint64_t> offset;  // binary logs: byte offset of the record
};

// kIntel20: TPM 2.0 Intel per-bank logs (EVENT_LOG_POINTER2); kJson: a per-PCR/bank event list
// as attestation agents write it; kHeap12: no log (OsSinitData < 6), the TPM 1.2 legacy events
// rebuilt from SinitMleData and tboot's "VL measurements" (see txt_log.h).
enum class TxtLogFormat { kContainer12, kTcg20, kIntel20, kJson, kHeap12 };

struct TxtLog {
  TxtLogFormat format = TxtLogFormat::kContainer12;
  std::vector<TxtLogEvent> events;
  std::vector<HashAlg> banks;  // banks seen in the records, in first-seen order
};

// Parses the last event log printed in `text` (txt-stat prints it after the launch; earlier
// prints are the empty pre-launch log) and every record after it (tboot appends its own 0x501
// records later). Throws Error(kBadInput) naming `file` and the line's byte offset.
TxtLog parse_txt_stat(std::string_view text, const std::string& file);

// Replays from the dynamic-launch reset: PCRs 17-22 zero. Records on PCR 255 (PCR_MAPPING) are
// not extended. In the TPM 1.2 container the HASH_START record carries the resulting PCR 17
// value (SinitHash), so it is set, not extended; in TCG logs it is an ordinary extend of the
// zeroed PCR 17.
PcrSet replay_txt_log(const TxtLog& log);

// "tpm12-container", "tpm20-tcg", "tpm20-intel", "json", "tpm12-heap".
std::string_view txt_log_format_name(TxtLogFormat f);

}  // namespace integral
