#include "integral/crypto/hash_alg.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include "integral/crypto/evp.h"
#include "integral/util/error.h"
#include "integral/util/number.h"

namespace integral {

namespace {
struct AlgInfo {
  HashAlg alg;
  std::string_view name;
  size_t size;
};
constexpr AlgInfo kAlgs[] = {
    {HashAlg::kSha1, "sha1", 20},       {HashAlg::kSha256, "sha256", 32},
    {HashAlg::kSha384, "sha384", 48},   {HashAlg::kSha512, "sha512", 64},
    {HashAlg::kSm3_256, "sm3_256", 32},
};
const AlgInfo* find(HashAlg alg) {
  for (const auto& a : kAlgs)
    if (a.alg == alg) return &a;
  return nullptr;
}
}  // namespace

std::string_view hash_alg_name(HashAlg alg) {
  const AlgInfo* a = find(alg);
  return a ? a->name : "unknown";
}

size_t digest_size(HashAlg alg) {
  const AlgInfo* a = find(alg);
  return a ? a->size : 0;
}

std::optional<HashAlg> hash_alg_from_id(uint16_t id) {
  auto alg = static_cast<HashAlg>(id);
  return find(alg) ? std::optional(alg) : std::nullopt;
}

std::optional<HashAlg> parse_hash_alg(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& a : kAlgs)
    if (a.name == lower) return a.alg;
  if (lower == "sm3") return HashAlg::kSm3_256;
  // Numeric TPM_ALG_ID, as tpm2-tools also accepts.
  auto id = parse_uint(lower);
  if (id && *id <= UINT16_MAX) return hash_alg_from_id(static_cast<uint16_t>(*id));
  return std::nullopt;
}

std::vector<HashAlg> parse_hash_alg_list(std::string_view list) {
  std::vector<HashAlg> algs;
  if (list.empty()) return algs;
  for (size_t pos = 0;;) {
    const size_t comma = std::min(list.find(',', pos), list.size());
    const std::string_view name = list.substr(pos, comma - pos);
    if (name.empty())
      throw_usage("the list of hash algorithms '" + std::string(list) + "' has an empty item");
    auto alg = parse_hash_alg(name);
    if (!alg) throw_usage("unknown hash algorithm '" + std::string(name) + "'");
    algs.push_back(*alg);
    if (comma == list.size()) return algs;
    pos = comma + 1;
  }
}

bool hash_alg_available(HashAlg alg) {
  return evp_md(alg) != nullptr;
}

const std::vector<HashAlg>& all_hash_algs() {
  static const std::vector<HashAlg> algs = [] {
    std::vector<HashAlg> v;
    for (const auto& a : kAlgs) v.push_back(a.alg);
    return v;
  }();
  return algs;
}

}  // namespace integral
