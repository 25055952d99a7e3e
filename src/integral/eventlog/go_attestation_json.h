// go-attestation's JSON dumps (attest/testdata/*.json): the raw event log in base64 under
// Log.Raw, and the PCR values read with it under Log.PCRs ({Index, Digest (base64), DigestAlg
// as Go's crypto.Hash: 3 SHA-1, 5 SHA-256, 6 SHA-384, 7 SHA-512}).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "integral/tpm/pcr_set.h"

namespace integral {

struct GoAttestationDump {
  std::vector<uint8_t> raw_log;
  PcrValues pcrs;
};

// Throws Error(kBadInput) naming `file` (and the byte offset for JSON syntax errors).
GoAttestationDump parse_go_attestation_json(std::string_view text, const std::string& file);

}  // namespace integral
