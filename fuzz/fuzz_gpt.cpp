// Disk images from anywhere: the primary GPT and the EV_EFI_GPT_EVENT built from it, with 512-
// and 4096-byte blocks; must succeed or throw integral::Error.
#include <cstdint>
#include <span>

#include "integral/formats/gpt.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  for (uint32_t block : {512u, 4096u}) {
    try {
      auto g = integral::efi_gpt_data(bytes, "fuzz", block);
      (void)g;
    } catch (const integral::Error&) {
    }
  }
  return 0;
}
