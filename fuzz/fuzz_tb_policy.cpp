// A tboot policy (tb_polgen file, TPM NV content) from an untrusted source.
#include <cstdint>
#include <span>

#include "integral/formats/tb_policy.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto p = integral::TbPolicy::parse(std::span(data, size), "fuzz");
    (void)p.to_json().dump();
  } catch (const integral::Error&) {
  }
  return 0;
}
