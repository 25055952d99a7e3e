// Prediction manifests (JSON) handed to `verify --expect`.
#include <cstdint>
#include <string_view>

#include "integral/predict/prediction.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    integral::prediction_from_json(std::string_view(reinterpret_cast<const char*>(data), size),
                                   "fuzz.json");
  } catch (const integral::Error&) {
  }
  return 0;
}
