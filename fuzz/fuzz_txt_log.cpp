// TXT event logs from an untrusted machine, in every binary form and as a JSON list; replayed.
#include <cstdint>
#include <span>
#include <string_view>

#include "integral/eventlog/txt_log.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace integral;
  auto bytes = std::span(data, size);
  auto one = [](auto&& parse) {
    try {
      auto log = parse();
      (void)replay_txt_log(log);
      (void)known_mismatch(log);
    } catch (const integral::Error&) {
    }
  };
  one([&] { return parse_txt_container12(bytes, "fuzz"); });
  one([&] { return parse_txt_intel_bank_log(bytes, "fuzz"); });
  one([&] { return parse_txt_tcg_log(bytes, "fuzz"); });
  one([&] {
    return parse_txt_event_json(std::string_view(reinterpret_cast<const char*>(data), size),
                                "fuzz");
  });
  one([&] {
    return reconstruct_txt_launch(std::string_view(reinterpret_cast<const char*>(data), size),
                                  "fuzz")
        .log;
  });
  return 0;
}
