// Ref advertisements from a remote (ls-remote / for-each-ref lines) and delivered-state files:
// must either parse or throw integral::Error; what parses must round-trip through the state.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "integral/poll/refs.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace integral::poll;
  try {
    auto refs = parse_ref_lines(text, {"refs/heads/*", "refs/tags/*"}, "fuzz");
    if (parse_state(format_state(refs), "fuzz") != refs) std::abort();
    diff_refs(refs, {});
  } catch (const integral::Error&) {
  }
  try {
    parse_state(text, "fuzz");
  } catch (const integral::Error&) {
  }
  return 0;
}
