// An ACM from an untrusted source: decode header, info table and lists, and hash it.
#include <cstdint>
#include <span>

#include "integral/formats/txt_acm.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto a = integral::TxtAcm::parse(std::span(data, size), "fuzz");
    (void)a.to_json().dump();
  } catch (const integral::Error&) {
  }
  return 0;
}
