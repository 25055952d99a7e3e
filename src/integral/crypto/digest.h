// A digest value tagged with its algorithm, and one-shot hashing.
#pragma once

#include <openssl/types.h>

#include <algorithm>
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "integral/crypto/hash_alg.h"

namespace integral {

class Digest {
 public:
  Digest() = default;
  // Copies bytes; their length must equal digest_size(alg) (throws std::invalid_argument).
  Digest(HashAlg alg, std::span<const uint8_t> bytes);
  static Digest zero(HashAlg alg);
  static Digest filled(HashAlg alg, uint8_t value);
  // Parses hex of exactly digest_size(alg) bytes; nullopt otherwise.
  static std::optional<Digest> from_hex(HashAlg alg, std::string_view hex);

  HashAlg alg() const { return alg_; }
  size_t size() const { return size_; }
  std::span<const uint8_t> bytes() const { return {data_.data(), size_}; }
  std::string hex(bool upper = false) const;

  friend bool operator==(const Digest& a, const Digest& b) {
    return a.alg_ == b.alg_ && a.size_ == b.size_ &&
           std::equal(a.data_.begin(), a.data_.begin() + a.size_, b.data_.begin());
  }

 private:
  HashAlg alg_ = HashAlg::kSha256;
  uint8_t size_ = 0;
  std::array<uint8_t, kMaxDigestSize> data_{};
};

// Incremental hashing with one algorithm (OpenSSL EVP).
class Hasher {
 public:
  explicit Hasher(HashAlg alg);
  ~Hasher();
  Hasher(Hasher&& other) noexcept;
  Hasher& operator=(Hasher&& other) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  HashAlg alg() const { return alg_; }
  void update(std::span<const uint8_t> data);
  void update(std::string_view data) {
    update(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  }
  // Returns the digest; the hasher is then reset for reuse.
  Digest finish();

 private:
  HashAlg alg_;
  EVP_MD_CTX* ctx_ = nullptr;
};

Digest hash(HashAlg alg, std::span<const uint8_t> data);
Digest hash(HashAlg alg, std::string_view data);

}  // namespace integral
