// IMA measurement lists (ASCII and binary) from an untrusted machine: replay with template hash
// checks, or throw integral::Error.
#include <cstdint>
#include <span>

#include "integral/eventlog/ima_log.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (auto format : {integral::ImaFormat::kAscii, integral::ImaFormat::kBinary}) {
    try {
      integral::ImaReader reader(std::span(data, size), "fuzz.ima", format);
      integral::replay_ima(reader, {integral::HashAlg::kSha1, integral::HashAlg::kSha256},
                           {integral::HashAlg::kSha256});
    } catch (const integral::Error&) {
    }
    // The display path decodes the fields as well.
    try {
      integral::ImaReader reader(std::span(data, size), "fuzz.ima", format);
      integral::ImaEntry e;
      while (reader.next(e)) {
      }
    } catch (const integral::Error&) {
    }
  }
  return 0;
}
