// TXT event logs in their binary forms (tboot include/txt/heap.h), an attestation agent's JSON
// event list, and launches without a log; plus reading any of them (or txt-stat text) by content.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "integral/chain/event.h"
#include "integral/eventlog/txt_stat.h"

namespace integral {

// TPM 1.2 "TXT Event Container": 48-byte header (signature, versions, size, pcr_events_offset,
// next_event_offset), then TPM 1.2 records up to next_event_offset.
TxtLog parse_txt_container12(std::span<const uint8_t> data, const std::string& file);

// One TPM 2.0 Intel-format per-bank log (EVENT_LOG_POINTER2): the records from the start of
// the buffer. Non-SHA-1 logs begin with a TPM 1.2-style EV_NO_ACTION record whose data
// (tpm20_log_descr_t) names the bank; a SHA-1 log has no such record. Trailing zero bytes (the
// unused rest of the buffer) end the log.
TxtLog parse_txt_intel_bank_log(std::span<const uint8_t> data, const std::string& file);

// TPM 2.0 TCG-format TXT log: a TCG_PCR_EVENT header with the Spec ID event, then
// TCG_PCR_EVENT2 records (PCR 255 allowed for PCR_MAPPING).
TxtLog parse_txt_tcg_log(std::span<const uint8_t> data, const std::string& file);

// A JSON list of {"pcr": {"index": N, "bank": "SHA1"}, "tpm_events": [{"type_id": "0x402",
// "measurement": HEX}, ...]} as Intel's attestation agent writes it (text before the first '['
// and after the list is ignored). Events carry digests only.
TxtLog parse_txt_event_json(std::string_view text, const std::string& file);

// A TPM 1.2 launch whose output has no event log (OsSinitData < 6, e.g. tboot <= 1.9 serial
// logs): the legacy SINIT events rebuilt from the printed SinitMleData (HASH_START = sinit_hash,
// COMBINED_HASH = SHA1 of BiosAcmId || MsegValid || StmHash || PolicyControl || LcpPolicyHash
// || caps-or-0 [|| ProcScrtmStatus from v8], MLE_HASH = mle_hash) and tboot's printed
// "VL measurements". For SinitMleData v6 the COMBINED_HASH layout and HASH_START semantics are
// inferred, not verified: `pcr17_verified` says so.
struct HeapLaunch {
  TxtLog log;
  bool pcr17_verified = false;
  uint32_t sinit_mle_data_version = 0;
};
HeapLaunch reconstruct_txt_launch(std::string_view text, const std::string& file);

// Any of the above (several per-bank Intel logs merge into one), told apart by content.
struct LoadedTxtLog {
  TxtLog log;
  std::vector<std::string> notes;  // e.g. what a reconstruction could not verify
};
LoadedTxtLog load_txt_log(const std::vector<std::filesystem::path>& files);
// The text forms only: txt-stat output, a tboot serial log (rebuilt from its heap), JSON.
LoadedTxtLog parse_txt_text(std::string_view text, const std::string& file);

// A launch reported on a public list not to replay to its TPM's PCRs, recognised by its
// platform's SINIT events (so the report is shown, not hidden).
struct KnownMismatch {
  std::vector<unsigned> pcrs;
  std::string report;
};
std::optional<KnownMismatch> known_mismatch(const TxtLog& log);

// A TXT log as a chain to replay from the dynamic-launch reset, the container's HASH_START made
// an ordinary extend the same way (a record that does not match its data keeps its digest as
// the extend input and says so). PCR_MAPPING (PCR 255) records are left out.
Chain txt_log_chain(const TxtLog& log, const std::string& file);

}  // namespace integral
