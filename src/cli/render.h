// Text rendering shared by commands (events, PCR tables).
#pragma once

#include <string>

#include "integral/chain/event.h"
#include "integral/tpm/pcr_selection.h"
#include "integral/tpm/pcr_set.h"

namespace integral::cli {

// "#3  PCR 9  EV_IPL\n      sha256 abcd...\n      <description>\n      from <provenance>\n"
std::string render_event(const Event& e, size_t index, const std::string& indent = "  ");
std::string render_pcr_table(const PcrSet& values, const PcrSelection& selection);

}  // namespace integral::cli
