#include "integral/crypto/digest.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "integral/crypto/evp.h"
#include "integral/util/error.h"
#include "integral/util/hex.h"

namespace integral {

Digest::Digest(HashAlg alg, std::span<const uint8_t> bytes) : alg_(alg) {
  if (bytes.size() != digest_size(alg) || bytes.size() > kMaxDigestSize)
    throw std::invalid_argument("digest length does not match its algorithm");
  size_ = static_cast<uint8_t>(bytes.size());
  std::copy(bytes.begin(), bytes.end(), data_.begin());
}

Digest Digest::zero(HashAlg alg) {
  return filled(alg, 0);
}

Digest Digest::filled(HashAlg alg, uint8_t value) {
  std::array<uint8_t, kMaxDigestSize> buf;
  buf.fill(value);
  return Digest(alg, std::span(buf.data(), digest_size(alg)));
}

std::optional<Digest> Digest::from_hex(HashAlg alg, std::string_view hex) {
  auto bytes = integral::from_hex(hex);
  if (!bytes || bytes->size() != digest_size(alg)) return std::nullopt;
  return Digest(alg, *bytes);
}

std::string Digest::hex(bool upper) const {
  return to_hex(bytes(), upper);
}

Hasher::Hasher(HashAlg alg) : alg_(alg), ctx_(EVP_MD_CTX_new()) {
  const EVP_MD* md = evp_md(alg);
  if (md == nullptr)
    throw Error(ExitCode::kEnvironment,
                std::string("OpenSSL does not provide ") + std::string(hash_alg_name(alg)));
  if (ctx_ == nullptr || EVP_DigestInit_ex2(ctx_, md, nullptr) != 1)
    throw std::runtime_error("EVP_DigestInit_ex2 failed");
}

Hasher::~Hasher() {
  EVP_MD_CTX_free(ctx_);
}

Hasher::Hasher(Hasher&& other) noexcept : alg_(other.alg_), ctx_(other.ctx_) {
  other.ctx_ = nullptr;
}

Hasher& Hasher::operator=(Hasher&& other) noexcept {
  std::swap(alg_, other.alg_);
  std::swap(ctx_, other.ctx_);
  return *this;
}

void Hasher::update(std::span<const uint8_t> data) {
  if (!data.empty() && EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1)
    throw std::runtime_error("EVP_DigestUpdate failed");
}

Digest Hasher::finish() {
  std::array<uint8_t, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1 ||
      EVP_DigestInit_ex2(ctx_, nullptr, nullptr) != 1)
    throw std::runtime_error("EVP_DigestFinal_ex failed");
  return Digest(alg_, std::span(out.data(), len));
}

Digest hash(HashAlg alg, std::span<const uint8_t> data) {
  Hasher h(alg);
  h.update(data);
  return h.finish();
}

Digest hash(HashAlg alg, std::string_view data) {
  return hash(alg, std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

}  // namespace integral
