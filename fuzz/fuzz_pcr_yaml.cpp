// tpm2_pcrread YAML from an untrusted machine: must either parse or throw integral::Error.
#include <cstdint>
#include <string_view>

#include "integral/tpm/pcr_yaml.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    integral::parse_pcr_yaml(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const integral::Error&) {
  }
  return 0;
}
