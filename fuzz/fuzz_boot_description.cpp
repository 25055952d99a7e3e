// Boot descriptions (TOML): parse and validate; no stage is run (they would read files).
#include <cstdint>
#include <string_view>

#include "integral/predict/boot_description.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    integral::parse_boot_description(std::string_view(reinterpret_cast<const char*>(data), size),
                                     "fuzz.toml", "/nonexistent");
  } catch (const integral::Error&) {
  }
  return 0;
}
