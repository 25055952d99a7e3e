// Any supported event log file, sniffed by content: a TCG firmware log (SHA-1 or crypto-agile)
// or a go-attestation JSON dump carrying such a log and the PCRs read with it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "integral/chain/event.h"
#include "integral/eventlog/tcg_log.h"
#include "integral/tpm/pcr_set.h"

namespace integral {

enum class LogFormat { kAuto, kTcg, kGoAttestationJson, kIma, kTxtStat };

// "auto", "tcg", "go-attestation", "ima", "txt-stat"; nullopt otherwise. txt-stat: the TXT
// event log in txt-stat's text output (or a tboot serial log), replayed from the dynamic
// launch's reset of PCRs 17-22.
std::optional<LogFormat> parse_log_format(std::string_view name);

struct EventLog {
  std::string file;
  LogFormat format = LogFormat::kTcg;  // what the file was (never kAuto)
  TcgLog tcg;                          // the firmware log (chain, banks, Spec ID)
  std::optional<PcrValues> pcrs;       // PCRs stored with the log (go-attestation dumps)

  const Chain& chain() const { return tcg.chain; }
  const std::vector<HashAlg>& banks() const { return tcg.banks; }
  std::string format_name() const;  // "TCG crypto-agile", "TCG SHA-1", ...
};

// What a file is, from its first bytes (IMA lists are read by ImaReader, as a stream).
LogFormat sniff_log_file(const std::string& path);

// Throws Error naming the file (and offset) when it is none of the formats or malformed.
EventLog load_event_log(const std::string& path, LogFormat format = LogFormat::kAuto);
// The same, from bytes already in memory (tests, fuzzing).
EventLog parse_event_log(std::span<const uint8_t> data, const std::string& file,
                         LogFormat format = LogFormat::kAuto);

}  // namespace integral
