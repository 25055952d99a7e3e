// TPM2_PolicyPCR digest for sealing to predicted PCR values, computed in software exactly as a
// trial session would: policy = H(policy_old || TPM_CC_PolicyPCR || TPML_PCR_SELECTION ||
// H(selected PCR values concatenated in selection order)).
#pragma once

#include "integral/crypto/digest.h"
#include "integral/tpm/pcr_selection.h"
#include "integral/tpm/pcr_set.h"

namespace integral {

// PCR values come from `values` (which must hold every selected bank); policy_alg is the
// session's hash algorithm (tpm2-tools default sha256). Starts from the all-zero policy unless
// `previous` is given, so policies can be chained.
Digest policy_pcr_digest(const PcrSelection& selection, const PcrSet& values,
                         HashAlg policy_alg = HashAlg::kSha256, const Digest* previous = nullptr);

}  // namespace integral
