// What the TXT stages accept for a measured thing (the tboot MLE, a multiboot module): a file,
// or digests copied from elsewhere when the binary is not at hand (e.g. from a reference
// launch's log):
//   "vmlinuz"                          a file, hashed here
//   "digest:sha1=HEX,sha256=HEX"       the measurement itself, per bank
//   "image-digest:sha256=HEX"          a module's H(image) per bank; the command line is hashed
//   here
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "integral/crypto/digest.h"
#include "integral/predict/stage.h"

namespace integral {

struct TxtArtifact {
  enum class Kind { kFile, kDigest, kImageDigest };
  Kind kind = Kind::kFile;
  std::string text;  // as written, for provenance
  std::filesystem::path path;
  std::vector<Digest> digests;
  // The digest of `alg`, failing on `key` of `f` when it was not given.
  const Digest& need(HashAlg alg, StageFields& f, std::string_view key) const;
};

// Parses one spec; errors go to `key` of the stage.
TxtArtifact parse_txt_artifact(const std::string& spec, StageFields& f, std::string_view key,
                               const StageContext& ctx);

// The MLE hash in each of `banks`: hashed from the tboot file with the command line tboot copies
// into it, or taken from a "digest:" spec.
std::vector<Digest> txt_mle_digests(const TxtArtifact& mle, const std::string& cmdline,
                                    const std::vector<HashAlg>& banks, StageFields& f,
                                    std::string_view key);

}  // namespace integral
