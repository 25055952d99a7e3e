// IMA measurement lists (ASCII and binary) from an untrusted machine: replay with template hash
// checks, or throw integral::Error.
#include <cstdint>
#include <span>

#include "integral/eventlog/ima_replay.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Sniffing by layout reads the same untrusted bytes.
  (void)integral::looks_like_ima(std::span(data, size));
  for (auto format : {integral::ImaFormat::kAscii, integral::ImaFormat::kBinary}) {
    // The bank from the entries' layout, and a per-bank list's bank named.
    try {
      integral::ImaReader reader(std::span(data, size), "fuzz.ima", format,
                                 integral::HashAlg::kSha384);
      integral::replay_ima(reader, {integral::HashAlg::kSha1, integral::HashAlg::kSha384});
    } catch (const integral::Error&) {
    }
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
