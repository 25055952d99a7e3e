#include "integral/tpm/policy_pcr.h"

#include <stdexcept>

namespace integral {

namespace {
constexpr uint32_t kTpmCcPolicyPcr = 0x0000017F;
}

Digest policy_pcr_digest(const PcrSelection& selection, const PcrSet& values, HashAlg policy_alg,
                         const Digest* previous) {
  Hasher pcr_digest(policy_alg);
  for (const auto& bank : selection.banks())
    for (unsigned p = 0; p < kPcrCount; ++p)
      if (bank.pcrs.test(p)) pcr_digest.update(values.get(bank.alg, p).bytes());

  Digest old = previous ? *previous : Digest::zero(policy_alg);
  if (old.alg() != policy_alg) throw std::invalid_argument("previous policy of another algorithm");
  Hasher h(policy_alg);
  h.update(old.bytes());
  const uint8_t cc[4] = {kTpmCcPolicyPcr >> 24, (kTpmCcPolicyPcr >> 16) & 0xFF,
                         (kTpmCcPolicyPcr >> 8) & 0xFF, kTpmCcPolicyPcr & 0xFF};
  h.update(cc);
  h.update(selection.marshal());
  h.update(pcr_digest.finish().bytes());
  return h.finish();
}

}  // namespace integral
