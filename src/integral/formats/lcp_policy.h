// Intel TXT Launch Control Policy: the LCP_POLICY structure the TPM NV index holds (v2.x for
// TPM 1.2, tboot include/lcp2.h; v3.x for TPM 2.0, include/lcp3.h) and the LCP_POLICY_DATA file
// with its policy lists (LCP_POLICY_LIST 1.0, LCP_POLICY_LIST2 2.0/2.1, LCP_POLICY_LIST2_1 3.0)
// and elements (MLE, PCONF, SBIOS, STM, CUSTOM in their legacy and "2" forms).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "integral/crypto/digest.h"
#include "integral/util/hex.h"

namespace integral {

struct LcpPcrInfo {
  uint16_t alg = 0;  // TPM_ALG_ID of the PCR bank (SHA-1 for the legacy element)
  std::vector<uint8_t> pcr_select;
  std::optional<uint8_t> locality;  // legacy element only
  Bytes digest;
};

struct LcpElement {
  uint64_t offset = 0;  // in the file
  uint32_t size = 0, type = 0, control = 0;
  std::optional<uint16_t> hash_alg;  // TPM_ALG_ID (legacy elements: SHA-1)
  std::optional<uint8_t> sinit_min_version;
  std::vector<Bytes> hashes;  // MLE, SBIOS, STM
  Bytes fallback_hash;        // SBIOS
  Bytes uuid, custom_data;    // CUSTOM
  std::vector<LcpPcrInfo> pcr_infos;
};

// "MLE", "PCONF", "SBIOS", "CUSTOM", "MLE2", "PCONF2", "SBIOS2", "CUSTOM2", "STM2"; "" else.
std::string_view lcp_element_type_name(uint32_t type);

struct LcpList {
  uint64_t offset = 0, size = 0;  // in the file; size includes any signature
  uint16_t version = 0;
  uint16_t sig_alg = 0;  // 1.0: LCP_POLSALG_*; 2.x: TPM_ALG_ID; 3.0: 0 (KeySignatureOffset)
  uint16_t key_signature_offset = 0;  // 3.0
  uint32_t elements_size = 0;
  std::vector<LcpElement> elements;
  bool is_signed = false;
  uint16_t revocation_counter = 0;
  // What the policy hash covers for this list: the whole list when unsigned, the public key
  // (RSA modulus, or ECC Qx||Qy) when signed.
  uint64_t measured_offset = 0, measured_size = 0;
};

struct LcpPolicyData {
  uint8_t num_lists = 0;
  std::vector<LcpList> lists;
  Bytes raw;  // the whole file
  // H(H(list_1) || ... || H(list_n)) with `alg`: the value LCP_POLICY.PolicyHash must hold.
  Digest lists_hash(HashAlg alg) const;
  nlohmann::ordered_json to_json() const;
};

struct LcpPolicy {
  uint16_t version = 0;
  uint16_t hash_alg = 0;    // TPM_ALG_ID (v2: LCP_POLHALG_SHA1 = 0 is reported as SHA-1 0x0004)
  uint8_t policy_type = 0;  // 0 LIST, 1 ANY
  uint8_t sinit_min_version = 0;
  std::array<uint16_t, 8> data_revocation_counters{};
  uint32_t policy_control = 0;
  uint8_t max_sinit_min_version = 0;
  std::optional<uint8_t> max_biosac_min_version;                 // v3
  std::optional<uint16_t> lcp_hash_alg_mask, aux_hash_alg_mask;  // v3
  std::optional<uint32_t> lcp_sign_alg_mask;                     // v3
  Bytes policy_hash;
  Bytes raw;              // the structure: [0, offset of PolicyHash + its size)
  uint64_t trailing = 0;  // bytes after the structure in the input (e.g. an NV index's rest)

  HashAlg alg() const;
  // The hash of the LCP_POLICY structure itself (SinitMleData.LcpPolicyHash uses SHA-1).
  Digest structure_hash(HashAlg alg) const;
  nlohmann::ordered_json to_json() const;
};

// Throw Error(kBadInput) naming `file` and the byte offset on truncation, lying sizes and
// counts, unknown versions or hash algorithms.
LcpPolicy parse_lcp_policy(std::span<const uint8_t> bytes, const std::string& file);
LcpPolicyData parse_lcp_policy_data(std::span<const uint8_t> bytes, const std::string& file);
// Whether the bytes start with the LCP_POLICY_DATA file signature.
bool is_lcp_policy_data(std::span<const uint8_t> bytes);

}  // namespace integral
