// An LCP policy / policy data file from an untrusted source: decode and hash.
#include <cstdint>
#include <span>

#include "integral/formats/lcp_policy.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace integral;
  try {
    auto d = parse_lcp_policy_data(std::span(data, size), "fuzz");
    (void)d.to_json().dump();
    (void)d.lists_hash(HashAlg::kSha256);
  } catch (const Error&) {
  }
  try {
    auto p = parse_lcp_policy(std::span(data, size), "fuzz");
    (void)p.to_json().dump();
    (void)p.structure_hash(HashAlg::kSha1);
  } catch (const Error&) {
  }
  return 0;
}
