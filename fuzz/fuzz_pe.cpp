// PE/COFF images from anywhere (an ESP, a download): parse, lay out and hash the Authenticode
// ranges, read every section as systemd-stub would, and the certificate table's signatures; and
// as a UKI's stub, add sections to it (one replacing a stub section) and read the result back;
// must succeed or throw integral::Error.
#include <cstdint>
#include <span>
#include <vector>

#include "integral/formats/pe.h"
#include "integral/formats/pe_sections.h"
#include "integral/formats/pe_signature.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  try {
    auto img = integral::parse_pe(bytes, "fuzz");
    const integral::HashAlg algs[] = {integral::HashAlg::kSha256};
    integral::authenticode_digests(bytes, img, algs, integral::PePadding::kSignTool);
    size_t total = 0;
    for (const auto& s : img.sections) total += integral::section_file_bytes(bytes, s).size();
    (void)total;
    // The certificate table: WIN_CERTIFICATE entries, PKCS#7, SpcIndirectDataContent.
    for (const auto& sig : integral::pe_signatures(bytes, img)) total += sig.pkcs7.size();
    std::vector<integral::PeNewSection> add{{".osrel", {'I', 'D', '=', 'x'}},
                                            {".linux", {bytes.begin(), bytes.end()}}};
    if (!img.sections.empty()) add.push_back({img.sections.front().name, {'s', 'b', 'a', 't'}});
    const auto uki = integral::pe_add_sections(bytes, "fuzz", add);
    integral::parse_pe(uki, "fuzz uki");
  } catch (const integral::Error&) {
  }
  return 0;
}
