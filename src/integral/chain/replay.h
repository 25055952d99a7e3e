// Replay a chain into PCR banks, the way a TPM would have extended it.
#pragma once

#include <vector>

#include "integral/chain/event.h"
#include "integral/tpm/pcr_selection.h"
#include "integral/tpm/pcr_set.h"

namespace integral {

// Extends every event's digest into the matching bank; digests of banks not in `banks` are
// ignored, and an event without a digest for a bank leaves that bank untouched (a TPM 1.2
// style extend only reaches SHA-1). EV_NO_ACTION is never extended.
PcrSet replay(const Chain& chain, const std::vector<HashAlg>& banks);

// Indices of the events that extend `pcr` in bank `alg`, in order.
std::vector<size_t> events_extending(const Chain& chain, unsigned pcr, HashAlg alg);

// The PCRs the chain touches, in each of `banks` that some event extends.
PcrSelection touched_pcrs(const Chain& chain, const std::vector<HashAlg>& banks);

}  // namespace integral
