// An IMA runtime policy for the files of an image, in keylime's runtime policy format (version
// 1): the SHA-256 of every regular file under the path the running system opens it by, so a
// verifier can name every measured file the image did not hold, or holds with other content.
//
//   {"meta": {"version": 1, "generator": 0}, "release": 0,
//    "digests": {"/etc/motd": ["hex"], ...}, "excludes": [], "keyrings": {},
//    "ima": {"ignored_keyrings": [], "log_hash_alg": "sha1", "dm_policy": null},
//    "ima-buf": {}, "verification-keys": ""}
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "integral/crypto/digest.h"

namespace integral {

// `files`: path in the running system ("/etc/motd") -> SHA-256 of its content. `mount` is
// where the image is mounted ("/" for a root file system), prefixed to every path.
std::string keylime_runtime_policy(const std::map<std::string, Digest>& files,
                                   const std::string& mount = "/");

}  // namespace integral

namespace integral {

class ImaReader;

// What one IMA entry tells against a runtime policy.
struct ImaPolicyFinding {
  uint64_t where = 0;   // the entry's offset (binary) or line (ASCII)
  std::string name;     // the file as the kernel named it
  std::string digest;   // as logged ("sha256:hex")
  std::string problem;  // why it is not in the policy
};
struct ImaPolicyCheck {
  size_t files = 0;  // file entries checked
  std::vector<ImaPolicyFinding> findings;
  bool ok() const { return findings.empty(); }
};

// Every file entry of an IMA list (ima, ima-ng, ima-sig; not boot_aggregate, not ima-buf
// buffers) against a keylime runtime policy's digests: a file the policy does not list, or
// lists with other content, or a measurement violation, is a finding. The policy's excludes
// (regular expressions of up to 256 characters in RE2's syntax, matched at the name's start,
// as keylime's re.match) skip entries. Errors: kBadInput
// naming `policy_name` for a policy that is not one.
ImaPolicyCheck check_ima_policy(ImaReader& list, std::string_view policy_text,
                                const std::string& policy_name);

}  // namespace integral
