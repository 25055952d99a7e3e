#include "integral/chain/replay.h"

namespace integral {

PcrSet replay(const Chain& chain, const std::vector<HashAlg>& banks) {
  PcrSet set(banks, chain.startup_locality);
  if (chain.dynamic_launch) set.dynamic_launch_reset();
  for (const Event& e : chain.events) {
    if (!e.extends()) continue;
    for (const Digest& d : e.digests) {
      if (!set.has_bank(d.alg())) continue;
      if (e.sets)
        set.set(e.pcr, d);
      else
        set.extend(e.pcr, d);
    }
  }
  return set;
}

std::vector<size_t> events_extending(const Chain& chain, unsigned pcr, HashAlg alg) {
  std::vector<size_t> out;
  for (size_t i = 0; i < chain.events.size(); ++i) {
    const Event& e = chain.events[i];
    if (e.pcr == pcr && e.extends() && e.digest(alg)) out.push_back(i);
  }
  return out;
}

PcrSelection touched_pcrs(const Chain& chain, const std::vector<HashAlg>& banks) {
  PcrSelection sel;
  for (HashAlg alg : banks)
    for (const Event& e : chain.events)
      if (e.extends() && e.digest(alg)) sel.add(alg, e.pcr);
  return sel;
}

}  // namespace integral
