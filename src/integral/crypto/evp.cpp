#include "integral/crypto/evp.h"

namespace integral {

namespace {
const EVP_MD* fetch(const char* name) {
  // Explicit fetch avoids the per-call provider lookup that EVP_get_digestbyname implies.
  return EVP_MD_fetch(nullptr, name, nullptr);
}
}  // namespace

const EVP_MD* evp_md(HashAlg alg) {
  // Function-local statics: thread-safe initialisation, fetched on first use only.
  switch (alg) {
    case HashAlg::kSha1: {
      static const EVP_MD* md = fetch("SHA1");
      return md;
    }
    case HashAlg::kSha256: {
      static const EVP_MD* md = fetch("SHA256");
      return md;
    }
    case HashAlg::kSha384: {
      static const EVP_MD* md = fetch("SHA384");
      return md;
    }
    case HashAlg::kSha512: {
      static const EVP_MD* md = fetch("SHA512");
      return md;
    }
    case HashAlg::kSm3_256: {
      static const EVP_MD* md = fetch("SM3");
      return md;
    }
  }
  return nullptr;
}

}  // namespace integral
