#include "integral/formats/efi_signature_list.h"

#include <fmt/format.h>

#include <algorithm>

#include "integral/util/byte_reader.h"

namespace integral {

const EfiGuid kEfiCertX509Guid = {0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a,
                                  0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72};
const EfiGuid kEfiCertSha256Guid = {0x26, 0x16, 0xc4, 0xc1, 0x4c, 0x50, 0x92, 0x40,
                                    0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28};

std::vector<uint8_t> EfiSignature::signature_data() const {
  std::vector<uint8_t> out(owner.begin(), owner.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::vector<EfiSignature> parse_signature_lists(std::span<const uint8_t> data,
                                                const std::string& file, uint64_t base) {
  ByteReader r(data, file, base);
  std::vector<EfiSignature> out;
  uint64_t pos = 0;
  while (pos < data.size()) {
    auto type = r.bytes(pos, 16, "EFI_SIGNATURE_LIST SignatureType");
    uint32_t list_size = r.u32(pos + 16, "SignatureListSize");
    uint32_t header_size = r.u32(pos + 20, "SignatureHeaderSize");
    uint32_t sig_size = r.u32(pos + 24, "SignatureSize");
    uint64_t first = pos + 28 + static_cast<uint64_t>(header_size);
    if (list_size < 28 || static_cast<uint64_t>(list_size) > data.size() - pos ||
        first > pos + list_size)
      r.fail(pos, fmt::format("EFI_SIGNATURE_LIST of {} bytes (header {}) does not fit the {} "
                              "bytes left",
                              list_size, header_size, data.size() - pos));
    uint64_t body = pos + list_size - first;
    if (sig_size < 16 || body % sig_size != 0)
      r.fail(pos + 24, fmt::format("SignatureSize {} does not divide the list's {} bytes of "
                                   "signatures (each at least the 16-byte owner GUID)",
                                   sig_size, body));
    for (uint64_t s = first; s < pos + list_size; s += sig_size) {
      EfiSignature sig;
      std::copy(type.begin(), type.end(), sig.type.begin());
      auto owner = r.bytes(s, 16, "SignatureOwner");
      std::copy(owner.begin(), owner.end(), sig.owner.begin());
      sig.data = r.bytes(s + 16, sig_size - 16, "SignatureData");
      sig.offset = base + s;
      out.push_back(sig);
    }
    pos += list_size;
  }
  return out;
}

}  // namespace integral
