// Named, opt-in rules for real firmware that logs something other than what it measured.
// None is applied by default; a verifier applies one only when asked, and reports when a log
// verifies only because of it.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "integral/chain/event.h"
#include "integral/crypto/hash_alg.h"

namespace integral {

struct QuirkRule {
  std::string_view name;
  std::string_view description;
};

// Every rule, in a stable order.
const std::vector<QuirkRule>& quirk_rules();
bool is_quirk(std::string_view name);

// Applies `name` to `chain` for `banks`; returns how many events it added or changed (0: the
// log does not show the problem the rule fixes). Throws Error(kUsage) for an unknown name.
size_t apply_quirk(std::string_view name, Chain& chain, const std::vector<HashAlg>& banks);

}  // namespace integral
