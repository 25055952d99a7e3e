// A prediction as a file: the manifest JSON that `integral predict --json` writes and
// `integral verify --expect` reads back. It carries the events (with provenance), not only the
// final values, so a later verification can say which artifact a difference comes from.
//
//   {"format": "integral-prediction", "version": 1, "banks": ["sha256"],
//    "startup_locality": 0,
//    "dynamic_launch": true,                                 // only when PCRs 17-22 were reset
//    "pcrs": {"sha256": {"9": "hex"}},                       // PCRs the events touch
//    "events": [{"pcr": 9, "type": "EV_IPL" | null, "digests": {"sha256": "hex"},
//                "description": "...", "artifact": "...", "rule": "..."}]}
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "integral/chain/event.h"
#include "integral/tpm/pcr_set.h"

namespace integral {

struct Prediction {
  std::string source;  // the boot description or manifest it came from
  std::vector<HashAlg> banks;
  Chain chain;
  PcrSet values() const;  // replay of the chain
};

nlohmann::ordered_json prediction_to_json(const Prediction& p);
// Validates the structure and that the stored PCR values equal the replay of the stored events
// (a hand-edited value would otherwise be trusted silently). Errors: Error(kBadInput).
Prediction prediction_from_json(std::string_view text, const std::string& source);

// A boot description (.toml) is predicted; anything starting with '{' is read as a manifest.
Prediction load_prediction(const std::filesystem::path& path);

}  // namespace integral
