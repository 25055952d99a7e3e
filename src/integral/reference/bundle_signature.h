// A detached signature of a reference-values bundle (or any file integral writes
// deterministically, such as a prediction manifest): the signer signs the file's exact bytes,
// which are canonical because integral writes them the same way every time.
//
//   {"format": "integral-bundle-signature", "version": 1,
//    "file": {"name": "reference-values.json", "size": 1234, "sha256": "hex"},
//    "key": {"id": "<sha256 of the SubjectPublicKeyInfo>", "public_key": "-----BEGIN ..."},
//    "algorithm": "rsa-pkcs1v15-sha256" | "ecdsa-sha256",
//    "signature": "<base64>"}
//
// The signature names its key, so a verifier can refuse a bundle signed by any key but the one
// it requires (a production key, not the development one).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "integral/crypto/signing_key.h"

namespace integral {

inline constexpr std::string_view kBundleSignatureFormat = "integral-bundle-signature";

// The signature file's text for `bytes`, the contents of the file called `name`.
std::string sign_bundle(std::span<const uint8_t> bytes, const std::string& name,
                        const SigningKey& key);

struct BundleCheck {
  bool ok = false;
  std::string key_id;  // the signing key's id (hex), once the signature file is read
  std::string reason;  // why not ok
};

// Checks `signature_text` (from the file `sig_name`) over `bytes`; with `required` non-empty the
// signing key must be one of them. A malformed signature file: Error(kBadInput) naming it.
BundleCheck verify_bundle(std::span<const uint8_t> bytes, std::string_view signature_text,
                          const std::string& sig_name, const std::vector<PublicKey>& required);

// Whether the bundle `bundle_text` (the file `bundle_path`) names `prediction` as one of its
// boots' prediction files with that file's current SHA-256: a verified bundle then vouches for
// it. Returns the boot's name, or an empty string with `reason` set.
std::string bundle_boot_of(std::string_view bundle_text, const std::filesystem::path& bundle_path,
                           const std::filesystem::path& prediction, std::string& reason);

}  // namespace integral
