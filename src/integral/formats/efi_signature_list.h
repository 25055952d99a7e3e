// EFI_SIGNATURE_LIST sequences: the contents of the Secure Boot variables PK, KEK, db and dbx
// (UEFI 2.x, 32.4.1), read from untrusted bytes (a variables file, an event log's variable
// event) with every length checked.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace integral {

using EfiGuid = std::array<uint8_t, 16>;  // in its on-disk byte order

// EFI_CERT_X509_GUID a5c059a1-94e4-4aa7-87b5-ab155c2bf072 and EFI_CERT_SHA256_GUID
// c1c41626-504c-4092-aca9-41f936934328.
extern const EfiGuid kEfiCertX509Guid;
extern const EfiGuid kEfiCertSha256Guid;

// One EFI_SIGNATURE_DATA: its list's type, the owner GUID and the signature bytes (an X.509
// certificate in DER, a SHA-256 hash, ...).
struct EfiSignature {
  EfiGuid type{};
  EfiGuid owner{};
  std::span<const uint8_t> data;  // view into the parsed buffer
  uint64_t offset = 0;            // of the EFI_SIGNATURE_DATA (owner GUID first)
  // The EFI_SIGNATURE_DATA as firmware measures it in an authority event: owner ‖ data.
  std::vector<uint8_t> signature_data() const;
};

// Every signature of every list, in order. Throws Error(kBadInput) naming `file` and the offset
// (`base` + position) of a list whose sizes do not fit.
std::vector<EfiSignature> parse_signature_lists(std::span<const uint8_t> data,
                                                const std::string& file, uint64_t base = 0);

}  // namespace integral
