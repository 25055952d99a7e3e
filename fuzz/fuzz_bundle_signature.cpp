// Bundle signature files (JSON): parse, check the shape, decode the embedded public key and
// signature, and verify over a fixed bundle.
#include <cstdint>
#include <string_view>

#include "integral/reference/bundle_signature.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string_view bundle = "{\"format\": \"integral-reference-values\"}\n";
  try {
    integral::verify_bundle({reinterpret_cast<const uint8_t*>(bundle.data()), bundle.size()},
                            std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.sig",
                            {});
  } catch (const integral::Error&) {
  }
  return 0;
}
