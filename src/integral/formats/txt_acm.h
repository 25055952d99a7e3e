// Intel TXT Authenticated Code Module (SINIT/BIOS ACM) header, its ACM information table and
// the lists it points to (tboot include/txt/acmod.h), and the bytes SINIT's measurement covers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "integral/crypto/digest.h"
#include "integral/util/hex.h"

namespace integral {

struct AcmChipsetId {
  uint32_t flags, vendor_id, device_id, revision_id, extended_id;
};
struct AcmProcessorId {
  uint32_t fms, fms_mask;
  uint64_t platform_id, platform_mask;
};

struct AcmInfoTable {
  uint64_t offset = 0;  // in the file
  bool uuid_v3 = false;
  uint8_t chipset_acm_type = 0;  // 0 BIOS, 1 SINIT, 8/9 revocation
  uint8_t version = 0;
  uint16_t length = 0;
  uint32_t chipset_id_list = 0;
  uint32_t os_sinit_data_ver = 0;
  uint32_t min_mle_hdr_ver = 0;
  uint32_t capabilities = 0;
  uint8_t acm_ver = 0;
  uint8_t acm_revision[3] = {};
  std::optional<uint32_t> processor_id_list;  // version >= 4
  std::optional<uint32_t> tpm_info_list_off;  // version >= 5
  std::vector<AcmChipsetId> chipsets;
  std::vector<AcmProcessorId> processors;
  std::optional<uint32_t> tpm_capabilities;
  std::vector<uint16_t> tpm_algs;
};

struct AcmHeader {
  uint16_t module_type = 0, module_subtype = 0;
  uint32_t header_len = 0;  // dwords
  uint32_t header_ver = 0;
  uint16_t chipset_id = 0, flags = 0;
  uint32_t module_vendor = 0, date = 0;
  uint32_t size = 0;  // dwords
  uint16_t txt_svn = 0, se_svn = 0;
  uint32_t code_control = 0, error_entry_point = 0, gdt_limit = 0, gdt_base = 0, seg_sel = 0,
           entry_point = 0;
  uint32_t key_size = 0;      // dwords
  uint32_t scratch_size = 0;  // dwords
};

class TxtAcm {
 public:
  static TxtAcm parse(std::span<const uint8_t> file, std::string name);
  static TxtAcm load(const std::filesystem::path& path);

  const AcmHeader& header() const { return header_; }
  const std::optional<AcmInfoTable>& info() const { return info_; }
  bool is_sinit() const { return info_ && (info_->chipset_acm_type & 0x7f) == 1; }
  uint64_t user_area_offset() const { return 4ull * (header_.header_len + header_.scratch_size); }

  // The bytes SINIT hashes into HASH_START: the fixed header (ModuleType .. ScratchSize), then
  // the user area to the end of the module: the RSA key, exponent, signature and scratch space are
  // left out (they are not known when the module is signed). Established for header version 0.0
  // (2048-bit keys); for later header versions the same rule is applied but is unverified.
  Bytes hashed_region() const;
  // ACMHASH = SHA-256 of hashed_region() (the 32 bytes inside the HASH_START event).
  Digest acm_hash() const;
  // HASH_START event data: ACMHASH || LE32(EDX SENTER flags); tboot always uses EDX = 0.
  Bytes hash_start_data(uint32_t edx = 0) const;

  nlohmann::ordered_json to_json() const;

 private:
  std::string name_;
  Bytes data_;  // the module (size*4 bytes)
  AcmHeader header_;
  std::optional<AcmInfoTable> info_;
};

// Names of the TXT capability bits (txt_caps_t) set in `caps`.
std::vector<std::string> txt_capability_names(uint32_t caps);

}  // namespace integral
