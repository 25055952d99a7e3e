// Hash algorithms named by their TPM_ALG_ID, as TPM banks and event logs name them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace integral {

enum class HashAlg : uint16_t {
  kSha1 = 0x0004,
  kSha256 = 0x000B,
  kSha384 = 0x000C,
  kSha512 = 0x000D,
  kSm3_256 = 0x0012,
};

// Largest digest of any supported algorithm (SHA-512).
inline constexpr size_t kMaxDigestSize = 64;

// tpm2-tools' lower-case name: "sha1", "sha256", "sha384", "sha512", "sm3_256".
std::string_view hash_alg_name(HashAlg alg);
// Accepts the tpm2-tools names (any case) and the numeric TPM_ALG_ID ("0x000b", "11").
std::optional<HashAlg> parse_hash_alg(std::string_view name);
// A comma-separated list as options take it ("sha1,sha256"): each item as parse_hash_alg
// reads it, in the order given. "" is the empty list; an unknown name or an empty item
// ("sha1,,sha256", a trailing comma) is a usage error naming it.
std::vector<HashAlg> parse_hash_alg_list(std::string_view list);
std::optional<HashAlg> hash_alg_from_id(uint16_t id);
size_t digest_size(HashAlg alg);
// Whether the linked OpenSSL can compute it (SM3 is optional in OpenSSL builds).
bool hash_alg_available(HashAlg alg);
// Every algorithm in TPM_ALG_ID order.
const std::vector<HashAlg>& all_hash_algs();

}  // namespace integral
