// The Authenticode signatures in a PE image's certificate table, and the question UEFI firmware
// asks of each Secure Boot db certificate: does it verify this image's signature? (EDK2's
// DxeImageVerificationLib through AuthenticodeVerify: the PKCS#7 signature checks out against
// the certificate as trust anchor, any chain position, time and key usage not checked, and the
// digest it signs is the image's Authenticode digest.)
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "integral/crypto/digest.h"
#include "integral/formats/pe.h"

namespace integral {

struct PeSignature {
  std::span<const uint8_t> pkcs7;  // WIN_CERT_TYPE_PKCS_SIGNED_DATA contents, view into the image
  uint64_t offset = 0;             // of its WIN_CERTIFICATE header in the file
  Digest signed_digest;            // the Authenticode digest in SpcIndirectDataContent
};

// The PKCS#7 signatures of the certificate table, in order (other certificate types skipped).
// Throws Error(kBadInput) naming the file and offset of a malformed entry or signature.
std::vector<PeSignature> pe_signatures(std::span<const uint8_t> data, const PeImage& image);

// Whether the DER certificate `cert` verifies `sig` (its digest equal to `image_digest`).
// Throws Error(kBadInput) when `cert` is not a DER certificate (naming `cert_name`).
bool authenticode_verified_by(const PeSignature& sig, const Digest& image_digest,
                              std::span<const uint8_t> cert, const std::string& cert_name);

}  // namespace integral
