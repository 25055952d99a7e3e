// go-attestation JSON dumps (base64 log + PCRs): parse or throw integral::Error.
#include <cstdint>
#include <span>

#include "integral/eventlog/event_log.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    integral::parse_event_log(std::span(data, size), "fuzz.json",
                              integral::LogFormat::kGoAttestationJson);
  } catch (const integral::Error&) {
  }
  return 0;
}
