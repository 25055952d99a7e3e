// One-shot hashing of short messages (PCR extends, IMA template data, event digests) at the
// speed of the hash itself: replaying a log hashes millions of 40-300 byte inputs, where
// OpenSSL's EVP dispatch (provider lookup, context re-initialisation) costs as much as the
// compression function.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "integral/crypto/digest.h"

namespace integral {

class QuickHasher {
 public:
  explicit QuickHasher(HashAlg alg);
  HashAlg alg() const { return alg_; }
  size_t size() const { return size_; }
  // out[0, size()) = H(a || b).
  void hash(std::span<const uint8_t> a, std::span<const uint8_t> b, uint8_t* out);
  void hash(std::span<const uint8_t> a, uint8_t* out) { hash(a, {}, out); }
  // H(a || b) as a Digest.
  Digest digest(std::span<const uint8_t> a, std::span<const uint8_t> b = {});

 private:
  HashAlg alg_;
  size_t size_;
  std::optional<Hasher> fallback_;  // algorithms without a low-level OpenSSL API (SM3)
};

}  // namespace integral
