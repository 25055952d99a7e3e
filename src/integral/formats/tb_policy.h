// tboot's verified-launch policy (tb_policy_t, tboot include/tb_policy.h), as tb_polgen writes it
// and tboot reads it from TPM NV or an LCP custom element; and the two measurements tboot makes
// from it: the policy event and the module digests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "integral/crypto/digest.h"
#include "integral/util/hex.h"

namespace integral {

inline constexpr uint8_t kTbPolModNumAny = 129;
inline constexpr uint8_t kTbPolModNumNvIndex = 130;
inline constexpr uint8_t kTbPolModNumNvRaw = 131;
inline constexpr uint8_t kTbPolPcrNone = 255;
inline constexpr uint32_t kTbPolCtlExtendPcr17 = 0x1;

struct TbPolicyEntry {
  uint8_t mod_num = 0;
  uint8_t pcr = 0;
  uint8_t hash_type = 0;  // 0 any, 1 image
  uint32_t nv_index = 0;
  std::vector<Digest> hashes;
};

struct TbPolicy {
  uint8_t version = 2;
  uint8_t policy_type = 0;  // 0 continue (non-fatal), 1 halt ... as tb_polgen names them
  uint8_t hash_alg = 0;     // low byte of TB_HALG_* (0 = SHA-1 of tboot <= 1.8)
  uint32_t policy_control = 0;
  std::vector<TbPolicyEntry> entries;
  Bytes raw;  // the policy bytes as measured

  static TbPolicy parse(std::span<const uint8_t> data, const std::string& file);
  static TbPolicy load(const std::filesystem::path& path);
  HashAlg alg() const;
  nlohmann::ordered_json to_json() const;
};

// tboot's algorithm for a tb_policy hash_alg byte (0 and 4 are SHA-1); nullopt if unknown.
std::optional<HashAlg> tb_hash_alg(uint8_t hash_alg);

// The policy event (type 0x501 to PCR 17 and, with DA, 18) in bank `bank`:
// H_bank(LE32(policy_control) || H_cur(policy)), the inner hash replaced by zeros of H_cur's
// size when EXTEND_PCR17 is clear. cur = SHA-1 on TPM 1.2, the extpol algorithm on TPM 2.0.
Digest tb_policy_event_digest(std::span<const uint8_t> policy, uint32_t policy_control, HashAlg cur,
                              HashAlg bank);

// A module measurement: H(H(cmdline) || H(image)) (tboot policy.c; no NUL hashed).
Digest tb_module_digest(HashAlg alg, std::string_view cmdline, std::span<const uint8_t> image);
// Same for a file, read once per algorithm through the file hasher.
std::vector<Digest> tb_module_digests(std::span<const HashAlg> algs, std::string_view cmdline,
                                      const std::filesystem::path& image);

}  // namespace integral
