#include "integral/chain/compare.h"

#include "integral/chain/replay.h"

namespace integral {

bool ValueComparison::ok() const {
  return first_mismatch() == nullptr;
}

const PcrCheck* ValueComparison::first_mismatch() const {
  for (const auto& c : checks)
    if (!c.match()) return &c;
  return nullptr;
}

ValueComparison compare_values(const Chain& predicted, const PcrSet& predicted_values,
                               const PcrValues& observed, const PcrSelection& selection) {
  ValueComparison out;
  for (unsigned pcr = 0; pcr < kPcrCount; ++pcr) {
    for (const auto& bank : selection.banks()) {
      if (!bank.pcrs.test(pcr)) continue;
      PcrCheck c{bank.alg, pcr, predicted_values.get(bank.alg, pcr), std::nullopt,
                 events_extending(predicted, pcr, bank.alg)};
      if (const Digest* d = observed.find(bank.alg, pcr)) c.observed = *d;
      out.checks.push_back(std::move(c));
    }
  }
  return out;
}

std::vector<Divergence> compare_chains(const Chain& expected, const Chain& actual,
                                       const std::vector<HashAlg>& banks) {
  std::vector<Divergence> out;
  for (unsigned pcr = 0; pcr < kPcrCount; ++pcr) {
    for (HashAlg alg : banks) {
      auto a = events_extending(expected, pcr, alg);
      auto b = events_extending(actual, pcr, alg);
      size_t n = std::max(a.size(), b.size());
      for (size_t i = 0; i < n; ++i) {
        bool differ = i >= a.size() || i >= b.size() ||
                      !(*expected.events[a[i]].digest(alg) == *actual.events[b[i]].digest(alg));
        if (!differ) continue;
        out.push_back({alg, pcr, i, i < a.size() ? std::optional(a[i]) : std::nullopt,
                       i < b.size() ? std::optional(b[i]) : std::nullopt});
        break;
      }
    }
  }
  return out;
}

}  // namespace integral
