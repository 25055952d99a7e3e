// tpm2_pcrread's YAML layout (tpm2-tools 5.x), read and written so our files diff cleanly
// against the tool's output:
//   "  sha256:\n    0 : 0xABCD...\n    16: 0x...\n"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "integral/crypto/digest.h"
#include "integral/tpm/pcr_selection.h"
#include "integral/tpm/pcr_set.h"

namespace integral {

// Writes the selected PCRs of `values` (every PCR of every bank when selection is empty).
std::string write_pcr_yaml(const PcrSet& values, const PcrSelection& selection = {});

// Parses tpm2_pcrread output. `source` names the file in errors (Error kBadInput, with line).
PcrValues parse_pcr_yaml(std::string_view text, const std::string& source);

}  // namespace integral
