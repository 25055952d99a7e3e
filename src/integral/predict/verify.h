// Verification: observations of a boot (PCRs read from the TPM, a firmware event log, an IMA
// list) held against each other and against a prediction. Each function returns a report of
// every check it made (what matched, where a chain first parts from the prediction, which
// quirks a match depends on); rendering is the caller's.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "integral/chain/compare.h"
#include "integral/eventlog/boot_aggregate.h"
#include "integral/eventlog/digest_check.h"
#include "integral/eventlog/event_log.h"
#include "integral/eventlog/ima_replay.h"
#include "integral/predict/prediction.h"

namespace integral {

// A prediction against a PCR readout: `select`, else every PCR the prediction extends in the
// banks the readout has (the others are named in skipped_banks).
struct PcrVerification {
  ValueComparison cmp;
  std::vector<std::string> skipped_banks;
  bool ok() const { return cmp.ok(); }
};
PcrVerification verify_pcrs(const Prediction& p, const PcrValues& observed,
                            const std::optional<PcrSelection>& select,
                            const std::string& observed_source);

// An observed chain (a log's events, a list's entries) against the predicted one, per PCR and
// bank in `scope`: the first divergence of each.
struct ChainVerification {
  Chain predicted, observed;
  PcrSelection scope;
  std::vector<Divergence> divergences;
  bool ok() const { return divergences.empty(); }
};

// A firmware log (TCG, go-attestation dump, txt-stat): its event data against its digests,
// its replay against a readout (--pcrs, else the PCRs stored with the log), its events against
// a prediction. Paths are read here; empty ones are not checked.
struct LogVerifyRequest {
  std::string log;
  LogFormat format = LogFormat::kAuto;
  std::vector<std::string> quirks;  // applied to the log before any check
  std::optional<PcrSelection> select;
  std::string pcrs, expect;
  bool check_digests = false;
};
struct LogValueVerification {
  std::string source;  // the readout's name
  ValueComparison cmp;
  std::vector<std::string> quirks_needed;  // the match fails without these
};
struct LogVerification {
  EventLog log;  // quirks applied
  std::optional<DigestCheckReport> digests;
  std::optional<LogValueVerification> pcrs;
  std::optional<ChainVerification> prediction;
  bool ok() const;
};
LogVerification verify_log(const LogVerifyRequest& r);

// An IMA list: its replay (template hashes checked) against the readout's PCRs, its entries
// against a prediction, its first entry against the boot_aggregate of a firmware log's replay.
struct ImaVerifyRequest {
  std::string log;
  std::optional<HashAlg> list_bank;  // default: from the file name or layout
  std::vector<HashAlg> padded;       // banks extended with the padded SHA-1 template hash
  std::optional<PcrSelection> select;
  std::string pcrs, expect, boot_log;
};
struct BootAggregateVerification {
  std::string entry;  // the first entry's name
  BootAggregateCheck check;
};
struct ImaVerification {
  ImaFormat format = ImaFormat::kAscii;
  HashAlg list_bank = HashAlg::kSha1;
  ImaReplay replay;
  std::optional<ValueComparison> pcrs;
  std::optional<ChainVerification> prediction;
  std::optional<BootAggregateVerification> boot_aggregate;
  bool ok() const;
};
ImaVerification verify_ima(const ImaVerifyRequest& r);

// The IMA list as a chain (its PCR's events with what the kernel extended per bank), for
// naming the entry where it parts from a prediction.
Chain ima_chain(const std::string& path, std::optional<HashAlg> list_bank,
                const std::vector<HashAlg>& banks, const std::vector<HashAlg>& padded);

}  // namespace integral
