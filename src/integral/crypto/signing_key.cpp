#include "integral/crypto/signing_key.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "integral/crypto/evp.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral {

namespace {

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "OpenSSL gave no reason";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* k) {
  return {k, EVP_PKEY_free};
}

// PEM keys are small: a file over 1 MiB is not one.
std::shared_ptr<EVP_PKEY> read_pem(const std::filesystem::path& path, bool private_key) {
  const std::string text = read_text_file(path, 1u << 20);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free);
  if (!bio) throw std::bad_alloc();
  EVP_PKEY* k = private_key ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                            : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (!k)
    throw_bad_input(
        fmt::format("not a PEM {} key: {}", private_key ? "private" : "public", openssl_error()),
        path.string());
  auto key = own(k);
  const int id = EVP_PKEY_get_base_id(k);
  if (id != EVP_PKEY_RSA && id != EVP_PKEY_EC)
    throw_bad_input("only RSA and EC keys sign reference values", path.string());
  return key;
}

}  // namespace

PublicKey PublicKey::load_pem(const std::filesystem::path& path) {
  PublicKey p;
  p.key_ = read_pem(path, false);
  return p;
}

Digest PublicKey::fingerprint() const {
  unsigned char* der = nullptr;
  const int n = i2d_PublicKey(key_.get(), &der);
  if (n <= 0) throw_environment("cannot encode the public key: " + openssl_error());
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> owned(
      der, [](unsigned char* p) { OPENSSL_free(p); });
  Hasher h(HashAlg::kSha256);
  h.update(std::span<const uint8_t>(der, static_cast<size_t>(n)));
  return h.finish();
}

std::string PublicKey::pem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1)
    throw_environment("cannot encode the public key: " + openssl_error());
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

bool PublicKey::operator==(const PublicKey& other) const {
  return EVP_PKEY_eq(key_.get(), other.key_.get()) == 1;
}

bool PublicKey::verify(HashAlg md, std::span<const uint8_t> message,
                       std::span<const uint8_t> sig) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx) throw std::bad_alloc();
  bool ok =
      EVP_DigestVerifyInit(ctx.get(), nullptr, evp_md(md), nullptr, key_.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), message.data(), message.size()) == 1;
  ERR_clear_error();
  return ok;
}

SigningKey SigningKey::load_pem(const std::filesystem::path& path) {
  SigningKey s;
  s.key_ = read_pem(path, true);
  s.path_ = path.string();
  // The public half as its own key object, so it compares with keys read from public PEMs.
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(s.key_.get(), &der);
  if (n <= 0) throw_environment("cannot derive the public key: " + openssl_error(), s.path_);
  const unsigned char* p = der;
  EVP_PKEY* pub = d2i_PUBKEY(nullptr, &p, n);
  OPENSSL_free(der);
  if (!pub) throw_environment("cannot derive the public key: " + openssl_error(), s.path_);
  s.public_.key_ = own(pub);
  return s;
}

std::vector<uint8_t> SigningKey::sign(HashAlg md, std::span<const uint8_t> message) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx) throw std::bad_alloc();
  size_t n = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, evp_md(md), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &n, message.data(), message.size()) != 1)
    throw_environment("cannot sign: " + openssl_error(), path_);
  std::vector<uint8_t> sig(n);
  if (EVP_DigestSign(ctx.get(), sig.data(), &n, message.data(), message.size()) != 1)
    throw_environment("cannot sign: " + openssl_error(), path_);
  sig.resize(n);
  return sig;
}

std::string base64_encode(std::span<const uint8_t> data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace integral
