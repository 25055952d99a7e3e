// An IMA list replayed into PCR banks, every template hash recomputed and checked on the way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "integral/crypto/hash_alg.h"
#include "integral/eventlog/ima_log.h"
#include "integral/tpm/pcr_set.h"

namespace integral {

struct ImaTemplateMismatch {
  uint64_t where;
  std::string name;
  std::string logged, computed;  // hex, in the list's bank
};

struct ImaReplay {
  PcrSet values;
  uint64_t entries = 0, violations = 0;
  std::vector<ImaTemplateMismatch> mismatches;  // the first few only
  uint64_t mismatch_count = 0;
  std::vector<unsigned> pcrs;  // PCRs the list extends, ascending
};

// Replays the whole list into `banks`, recomputing and checking every template hash in the
// list's bank (reader.bank()). `padded`: banks the kernel extended with the padded SHA-1 digest
// (see ImaBankRule); a list of such a bank carries that padded digest.
ImaReplay replay_ima(ImaReader& reader, const std::vector<HashAlg>& banks,
                     const std::vector<HashAlg>& padded = {});

}  // namespace integral
