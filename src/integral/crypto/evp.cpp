#include "integral/crypto/evp.h"

#include <array>
#include <utility>

namespace integral {

const EVP_MD* evp_md(HashAlg alg) {
  // Fetched once (thread-safe static initialisation): an explicit fetch avoids the provider
  // lookup that EVP_get_digestbyname implies on every call.
  static const std::array<std::pair<HashAlg, const EVP_MD*>, 5> mds = {{
      {HashAlg::kSha1, EVP_MD_fetch(nullptr, "SHA1", nullptr)},
      {HashAlg::kSha256, EVP_MD_fetch(nullptr, "SHA256", nullptr)},
      {HashAlg::kSha384, EVP_MD_fetch(nullptr, "SHA384", nullptr)},
      {HashAlg::kSha512, EVP_MD_fetch(nullptr, "SHA512", nullptr)},
      {HashAlg::kSm3_256, EVP_MD_fetch(nullptr, "SM3", nullptr)},
  }};
  for (const auto& [a, md] : mds)
    if (a == alg) return md;
  return nullptr;
}

}  // namespace integral
