// IMA runtime policies (keylime JSON): parse, compile the excludes, check a fixed IMA list.
#include <cstdint>
#include <string_view>

#include "integral/eventlog/ima_log.h"
#include "integral/reference/ima_policy.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string_view list =
      "10 1111111111111111111111111111111111111111 ima-ng "
      "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 /etc/motd\n";
  try {
    integral::ImaReader r({reinterpret_cast<const uint8_t*>(list.data()), list.size()}, "list");
    integral::check_ima_policy(r, std::string_view(reinterpret_cast<const char*>(data), size),
                               "fuzz.json");
  } catch (const integral::Error&) {
  }
  return 0;
}
