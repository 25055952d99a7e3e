// PCR selections typed by users or read from manifests: parse, and round-trip what parses.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "integral/tpm/pcr_selection.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto sel =
        integral::PcrSelection::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    sel.marshal();
    std::string text = sel.to_string();
    if (!sel.empty() && integral::PcrSelection::parse(text).to_string() != text) std::abort();
  } catch (const integral::Error&) {
  }
  return 0;
}
