// Compare a predicted chain with PCR values read from a TPM, or with another chain (an event
// log), and say which event is responsible for a difference.
#pragma once

#include <optional>
#include <vector>

#include "integral/chain/event.h"
#include "integral/tpm/pcr_selection.h"
#include "integral/tpm/pcr_set.h"

namespace integral {

struct PcrCheck {
  HashAlg alg;
  unsigned pcr;
  Digest expected;
  std::optional<Digest> observed;  // nullopt: the readout lacks this PCR
  std::vector<size_t> events;      // predicted events feeding this PCR, in order
  bool match() const { return observed && *observed == expected; }
};

struct ValueComparison {
  std::vector<PcrCheck> checks;
  bool ok() const;
  const PcrCheck* first_mismatch() const;
};

// Checks every PCR in `selection` (PCR order outer, bank order inner, so the report leads
// with the lowest PCR that differs).
ValueComparison compare_values(const Chain& predicted, const PcrSet& predicted_values,
                               const PcrValues& observed, const PcrSelection& selection);

// Where two chains part for one PCR and bank: index (within that PCR's events) of the first
// event whose digest differs, or where one side has more events.
struct Divergence {
  HashAlg alg;
  unsigned pcr;
  size_t position;                 // n-th event of this PCR in this bank
  std::optional<size_t> expected;  // index into the expected chain, nullopt: it had no more
  std::optional<size_t> actual;    // index into the actual chain
};

std::vector<Divergence> compare_chains(const Chain& expected, const Chain& actual,
                                       const std::vector<HashAlg>& banks);

}  // namespace integral
