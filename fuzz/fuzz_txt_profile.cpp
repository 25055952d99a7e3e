// A TXT platform profile (TOML), and a txt-stat dump turned into one: a profile made from an
// untrusted launch must read back, and a hostile profile must fail cleanly.
#include <cstdint>
#include <string_view>

#include "integral/txt/profile.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)integral::txt::parse_profile(text, "fuzz");
  } catch (const integral::Error&) {
  }
  try {
    auto log = integral::txt::parse_txt_stat(text, "fuzz");
    (void)integral::txt::txt_log_chain(log, "fuzz");
    auto p = integral::txt::make_profile(log, integral::txt::launch_facts(text), "fuzz");
    // What we write we must read back.
    auto back = integral::txt::parse_profile(integral::txt::profile_to_toml(p), "roundtrip");
    if (back.events.size() != p.events.size()) __builtin_trap();
  } catch (const integral::Error&) {
  }
  return 0;
}
