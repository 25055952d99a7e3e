// A TXT platform profile (TOML), and a launch's text (txt-stat, JSON, a serial log rebuilt
// from its heap) turned into one: a profile made from an
// untrusted launch must read back, and a hostile profile must fail cleanly.
#include <cstdint>
#include <string_view>

#include "integral/eventlog/txt_log.h"
#include "integral/predict/txt_profile.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)integral::parse_profile(text, "fuzz");
  } catch (const integral::Error&) {
  }
  try {
    auto loaded = integral::parse_txt_text(text, "fuzz");
    (void)integral::txt_log_chain(loaded.log, "fuzz");
    auto p = integral::make_profile(loaded.log, integral::launch_facts(text), "fuzz", loaded.notes);
    // What we write we must read back.
    auto back = integral::parse_profile(integral::profile_to_toml(p), "roundtrip");
    if (back.events.size() != p.events.size() || back.notes != p.notes) __builtin_trap();
    for (size_t i = 0; i < p.events.size(); ++i)
      if (back.events[i].sets != p.events[i].sets) __builtin_trap();
  } catch (const integral::Error&) {
  }
  return 0;
}
