// txt-stat output / tboot serial log text from an untrusted machine: parse, then replay.
#include <cstdint>
#include <string_view>

#include "integral/eventlog/txt_stat.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto log = integral::parse_txt_stat(std::string_view(reinterpret_cast<const char*>(data), size),
                                        "fuzz");
    (void)integral::replay_txt_log(log);
  } catch (const integral::Error&) {
  }
  return 0;
}
