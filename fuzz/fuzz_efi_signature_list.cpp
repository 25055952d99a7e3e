// Secure Boot variable contents (EFI_SIGNATURE_LISTs) from a variables file or an event log:
// must parse or throw integral::Error, never read out of bounds.
#include <cstdint>
#include <span>

#include "integral/formats/efi_signature_list.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    size_t total = 0;
    for (const auto& s : integral::parse_signature_lists({data, size}, "fuzz"))
      total += s.signature_data().size();
    (void)total;
  } catch (const integral::Error&) {
  }
  return 0;
}
