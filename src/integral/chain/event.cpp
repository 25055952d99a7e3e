#include "integral/chain/event.h"

#include <fmt/format.h>

#include "integral/chain/event_type.h"

namespace integral {

std::string Provenance::to_string() const {
  std::string out = artifact.empty() ? "(no artifact)" : artifact;
  if (offset) out += fmt::format(" @ {:#x}", *offset);
  if (!rule.empty()) out += " [" + rule + "]";
  return out;
}

const Digest* Event::digest(HashAlg alg) const {
  for (const auto& d : digests)
    if (d.alg() == alg) return &d;
  return nullptr;
}

bool Event::extends() const {
  return !type || *type != ev::kNoAction;
}

std::string Event::type_name() const {
  return type ? event_type_name(*type) : std::string("(unlogged extend)");
}

}  // namespace integral
