// IMA's boot_aggregate, the first entry of every IMA list: a hash over the PCRs the firmware
// and boot loader extended, read from the TPM when IMA starts. Recomputing it from a TCG log's
// replay ties the IMA list to that boot.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "integral/crypto/digest.h"
#include "integral/eventlog/ima_log.h"
#include "integral/tpm/pcr_set.h"

namespace integral {

// As the kernel computes it (ima_calc_boot_aggregate_tfm): H_alg over the `alg` bank's PCRs
// 0-7 for SHA-1, 0-9 for every other bank (Linux 5.8, commit 20c59ce010f8 "ima: extend
// boot_aggregate with kernel measurements"). `last_pcr` overrides the range (7: kernels that
// took a non-SHA-1 bank without PCRs 8-9, commit 6f1a1d103b48 backported alone).
Digest boot_aggregate(const PcrSet& pcrs, HashAlg alg, std::optional<unsigned> last_pcr = {});

struct BootAggregateCheck {
  bool is_boot_aggregate = false;  // the entry is named "boot_aggregate"
  std::optional<HashAlg> alg;      // the algorithm of the entry's digest
  std::string logged;              // its digest, hex
  std::string computed;            // the value that matched, else the current kernels' value, hex
  std::string matched;             // "" (no match), "PCRs 0-7" or "PCRs 0-9"
  bool ok() const { return !matched.empty(); }
};

// Compares an IMA list's first entry with the boot_aggregate of `pcrs` (a TCG log's replay or a
// TPM readout). The entry's digest field names the algorithm (ima-ng family "sha256:..."; the
// legacy ima template is always SHA-1); an older kernel's PCRs 0-7 variant also matches and is
// named in `matched`. Throws Error(kBadInput) when `pcrs` lacks that bank.
BootAggregateCheck check_boot_aggregate(const ImaEntry& first, const PcrSet& pcrs);

}  // namespace integral
