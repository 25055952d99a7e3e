// The reference-values bundle of a build (OUT/reference-values.json): what a verifier or a
// sealing tool needs to trust the build's outputs, in one file.
//
//   {"format": "integral-reference-values", "version": 1,
//    "provenance": {"description": "build.toml", "description_sha256": "hex",
//                   "git": {"commit": "hex", "dirty": false},       // in a git work tree
//                   "integral": "0.1.0",
//                   "inputs": [{"path": "file_contexts", "sha256": "hex"}, ...]},
//    "images": {"netvm": {"file": "images/netvm.vhd", "format": "vhd-dynamic", "type": "ext3",
//                         "size": 1234, "sha256": "hex",              // of the file
//                         "tree": "hex",                              // tree_digest
//                         "filesystem": {"size": 1234, "uuid": "...", "digests": {"sha256": ".."}},
//                         "verity": {"file": "images/netvm.verity", "sha256": "hex",
//                                    "root_hash": "hex", ...}}},
//    "boots": {"netvm": {"prediction": "boots/netvm.prediction.json",
//                        "prediction_sha256": "hex",                 // of that file
//                        "pcrs": {"sha256": {"9": "hex"}}, "policy": {...},
//                        "events": [...]}}}                           // as the prediction's
//
// Paths are relative to OUT (outputs) or to the description's directory (inputs), so the
// bundle is the same wherever the build ran.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "integral/build/build_description.h"

namespace integral::build {

inline constexpr std::string_view kBundleFormat = "integral-reference-values";
inline constexpr std::string_view kBundleFile = "reference-values.json";

// The build's provenance: the description's digest, its git commit when it is in a git work
// tree, and the digest of every input file (paths relative to the description's directory).
nlohmann::ordered_json build_provenance(const BuildDescription& d,
                                        const std::set<std::filesystem::path>& inputs);

// `text` (a path, or an artifact such as "profile /src/profile.bin, event #1") with every path
// below `base` named relative to it; anything else as given.
std::string without_base(std::string text, const std::filesystem::path& base);

// The bundle's digest of a file: sha256, lower-case hex.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace integral::build
