// A tboot MLE image (gzip or ELF32) from an untrusted source: parse, then hash its MLE.
#include <cstdint>
#include <span>
#include <string>

#include "integral/formats/tboot_mle.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto m = integral::TbootMle::parse(std::span(data, size), "fuzz");
    (void)m.mle_bytes(std::string("logging=serial"));
  } catch (const integral::Error&) {
  }
  return 0;
}
