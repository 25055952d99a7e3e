// The low-level SHA functions are deprecated in OpenSSL 3 in favour of EVP, but they remain the
// same assembly without the per-call dispatch; measured on 40-110 byte inputs they take 0.6x
// the time of an EVP_DigestFinal/EVP_DigestInit_ex2 cycle.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "integral/crypto/quick_hash.h"

#include <openssl/sha.h>

#include <array>

namespace integral {

QuickHasher::QuickHasher(HashAlg alg) : alg_(alg), size_(digest_size(alg)) {
  if (alg != HashAlg::kSha1 && alg != HashAlg::kSha256 && alg != HashAlg::kSha384 &&
      alg != HashAlg::kSha512)
    fallback_.emplace(alg);
}

void QuickHasher::hash(std::span<const uint8_t> a, std::span<const uint8_t> b, uint8_t* out) {
  switch (alg_) {
    case HashAlg::kSha1: {
      SHA_CTX c;
      SHA1_Init(&c);
      SHA1_Update(&c, a.data(), a.size());
      if (!b.empty()) SHA1_Update(&c, b.data(), b.size());
      SHA1_Final(out, &c);
      return;
    }
    case HashAlg::kSha256: {
      SHA256_CTX c;
      SHA256_Init(&c);
      SHA256_Update(&c, a.data(), a.size());
      if (!b.empty()) SHA256_Update(&c, b.data(), b.size());
      SHA256_Final(out, &c);
      return;
    }
    case HashAlg::kSha384: {
      SHA512_CTX c;
      SHA384_Init(&c);
      SHA384_Update(&c, a.data(), a.size());
      if (!b.empty()) SHA384_Update(&c, b.data(), b.size());
      SHA384_Final(out, &c);
      return;
    }
    case HashAlg::kSha512: {
      SHA512_CTX c;
      SHA512_Init(&c);
      SHA512_Update(&c, a.data(), a.size());
      if (!b.empty()) SHA512_Update(&c, b.data(), b.size());
      SHA512_Final(out, &c);
      return;
    }
    default: {
      fallback_->update(a);
      fallback_->update(b);
      Digest d = fallback_->finish();
      std::copy(d.bytes().begin(), d.bytes().end(), out);
      return;
    }
  }
}

Digest QuickHasher::digest(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  std::array<uint8_t, kMaxDigestSize> out{};
  hash(a, b, out.data());
  return Digest(alg_, std::span(out.data(), size_));
}

}  // namespace integral
