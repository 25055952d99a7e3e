// integral poll's INI configuration (ConfigParser dialect, interpolation, list literals): must
// either load or throw integral::Error.
#include <cstdint>
#include <string_view>

#include "integral/poll/config.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    integral::poll::parse_poll_config(std::string_view(reinterpret_cast<const char*>(data), size),
                                      "fuzz.conf");
  } catch (const integral::Error&) {
  }
  return 0;
}
