// One measurement: what was extended into which PCR, and where the value came from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "integral/crypto/digest.h"

namespace integral {

// Which artifact and which rule produced an event; for events read from a log, the log file
// and the byte offset of the event.
struct Provenance {
  std::string artifact;
  std::string rule;
  std::optional<uint64_t> offset;
  std::string to_string() const;
};

struct Event {
  unsigned pcr = 0;
  // TCG event type; nullopt for an extend that writes no log entry (an initramfs calling
  // tpm2_pcrextend or tpm_extendpcr leaves no trace in the firmware log).
  std::optional<uint32_t> type;
  std::vector<Digest> digests;  // one per bank the event extends
  std::vector<uint8_t> data;    // event data as logged (may be empty)
  // The digests are the PCR's value after this event, not an extend input: a TPM 1.2 TXT launch
  // whose SINIT (SinitMleData < 8) reports only the resulting SinitHash of HASH_START.
  bool sets = false;
  std::string description;  // one line for people
  Provenance provenance;

  const Digest* digest(HashAlg alg) const;
  // EV_NO_ACTION events are logged but never extended.
  bool extends() const;
  std::string type_name() const;
};

// Events in the order they are extended, plus what a replay needs to start from.
struct Chain {
  std::vector<Event> events;
  uint8_t startup_locality = 0;
  // An Intel TXT / AMD SKINIT launch reset PCRs 17-22 to zero before these events.
  bool dynamic_launch = false;
};

}  // namespace integral
