// What the Secure Boot stages share: the UEFI_VARIABLE_DATA authority and variable events
// measure, the db a reference log recorded, and which entry of a signature database admits an
// image (firmware and shim ask the same question, in their own orders).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "integral/crypto/digest.h"
#include "integral/formats/efi_signature_list.h"
#include "integral/formats/pe.h"
#include "integral/formats/pe_signature.h"

namespace integral {
class StageFields;
}

namespace integral::uefi {

// EFI_GLOBAL_VARIABLE, EFI_IMAGE_SECURITY_DATABASE_GUID and shim's SHIM_LOCK_GUID
// (605dab50-e046-4300-abb6-3dd810dd8b23), in their on-disk byte order.
extern const EfiGuid kGlobalGuid;
extern const EfiGuid kImageSecurityGuid;
extern const EfiGuid kShimLockGuid;

// UEFI_VARIABLE_DATA: VariableName GUID, UINT64 name length in characters, UINT64 data length,
// the UTF-16 name without NUL, the data.
std::vector<uint8_t> variable_data(const EfiGuid& guid, std::string_view name,
                                   std::span<const uint8_t> data);

// db as a reference firmware measured it: the data of PCR 7's last "db" variable event before
// the separator in the event log `file`; fails naming `key` when there is none.
std::vector<uint8_t> db_from_log(StageFields& f, std::string_view key, const std::string& file);

// A signed PE image as the Secure Boot checks see it: parsed once, its signatures, and its
// Authenticode digests, each computed once whichever database or measurement asks for it.
class SignedImage {
 public:
  // Throws Error(kBadInput) naming `path` when the image or a signature is malformed.
  SignedImage(std::span<const uint8_t> bytes, std::string path);
  const std::string& path() const { return path_; }
  const std::vector<PeSignature>& signatures() const { return sigs_; }
  // The Authenticode digests in these algorithms, the missing ones computed in one pass.
  std::vector<Digest> digests(std::span<const HashAlg> algs);
  Digest digest(HashAlg alg);

 private:
  std::span<const uint8_t> bytes_;
  std::string path_;
  PeImage pe_;
  std::vector<PeSignature> sigs_;
  std::vector<Digest> known_;
};

// Which entry of `entries` admits the signed image: the first X.509 certificate (list order)
// that verifies one of its signatures, or a SHA-256 entry equal to its Authenticode digest;
// `hash_first` looks at the hashes before the certificates (shim's order; firmware's is the
// other). Null when none does. `db_name` names the list in errors.
const EfiSignature* admitting_entry(SignedImage& image, const std::vector<EfiSignature>& entries,
                                    const std::string& db_name, bool hash_first = false);

}  // namespace integral::uefi
