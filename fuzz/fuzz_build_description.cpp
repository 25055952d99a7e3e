// Build descriptions (TOML): parse and validate images, boots and their references; nothing is
// built and no stage runs (they would read files).
#include <cstdint>
#include <string_view>

#include "integral/build/build_description.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    integral::build::parse_build_description(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.toml", "/nonexistent");
  } catch (const integral::Error&) {
  }
  return 0;
}
