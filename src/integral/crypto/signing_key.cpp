#include "integral/crypto/signing_key.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/engine.h>
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

std::shared_ptr<EVP_PKEY> parse_pem(std::string_view text, bool private_key,
                                    const std::string& what) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free);
  if (!bio) throw std::bad_alloc();
  EVP_PKEY* k = private_key ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                            : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (!k)
    throw_bad_input(
        fmt::format("not a PEM {} key: {}", private_key ? "private" : "public", openssl_error()),
        what);
  auto key = own(k);
  const int id = EVP_PKEY_get_base_id(k);
  if (id != EVP_PKEY_RSA && id != EVP_PKEY_EC)
    throw_bad_input("only RSA and EC keys sign reference values", what);
  return key;
}

// PEM keys are small: a file over 1 MiB is not one.
std::shared_ptr<EVP_PKEY> read_pem(const std::filesystem::path& path, bool private_key) {
  return parse_pem(read_text_file(path, 1u << 20), private_key, path.string());
}

}  // namespace

PublicKey PublicKey::load_pem(const std::filesystem::path& path) {
  PublicKey p;
  p.key_ = read_pem(path, false);
  return p;
}

PublicKey PublicKey::from_pem(std::string_view pem, const std::string& what) {
  if (pem.size() > (1u << 20)) throw_bad_input("a public key of over 1 MiB", what);
  PublicKey p;
  p.key_ = parse_pem(pem, false, what);
  return p;
}

Digest PublicKey::id() const {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key_.get(), &der);
  if (n <= 0) throw_environment("cannot encode the public key: " + openssl_error());
  Hasher h(HashAlg::kSha256);
  h.update(std::span<const uint8_t>(der, static_cast<size_t>(n)));
  OPENSSL_free(der);
  return h.finish();
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

namespace {

// The public half as its own key object, so it compares with keys read from public PEMs.
std::shared_ptr<EVP_PKEY> public_half(EVP_PKEY* k, const std::string& source) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(k, &der);
  if (n <= 0) throw_environment("cannot derive the public key: " + openssl_error(), source);
  const unsigned char* p = der;
  EVP_PKEY* pub = d2i_PUBKEY(nullptr, &p, n);
  OPENSSL_free(der);
  if (!pub) throw_environment("cannot derive the public key: " + openssl_error(), source);
  return own(pub);
}

// The URI's value of a query attribute ("?a=b&c=d"), or "".
std::string query_attribute(const std::string& uri, const std::string& name) {
  const auto q = uri.find('?');
  if (q == std::string::npos) return {};
  size_t at = q + 1;
  while (at < uri.size()) {
    size_t end = uri.find('&', at);
    if (end == std::string::npos) end = uri.size();
    const std::string item = uri.substr(at, end - at);
    if (item.starts_with(name + "=")) return item.substr(name.size() + 1);
    at = end + 1;
  }
  return {};
}

// The URI without one query attribute (libp11 refuses URIs with ones it does not know).
std::string without_attribute(const std::string& uri, const std::string& name) {
  const auto q = uri.find('?');
  if (q == std::string::npos) return uri;
  std::string out = uri.substr(0, q), sep = "?";
  size_t at = q + 1;
  while (at < uri.size()) {
    size_t end = uri.find('&', at);
    if (end == std::string::npos) end = uri.size();
    const std::string item = uri.substr(at, end - at);
    if (!item.starts_with(name + "=") && !item.empty()) {
      out += sep + item;
      sep = "&";
    }
    at = end + 1;
  }
  return out;
}

// The URI without its pin-value, for messages.
std::string without_pin(const std::string& uri) {
  const auto p = uri.find("pin-value=");
  if (p == std::string::npos) return uri;
  const auto end = uri.find_first_of("&;", p);
  return uri.substr(0, p) + "pin-value=..." + (end == std::string::npos ? "" : uri.substr(end));
}

}  // namespace

SigningKey SigningKey::load_pem(const std::filesystem::path& path) {
  SigningKey s;
  s.key_ = read_pem(path, true);
  s.path_ = path.string();
  s.public_.key_ = public_half(s.key_.get(), s.path_);
  return s;
}

// OpenSSL 3 deprecates engines, but its providers for PKCS#11 are not in Debian 12; libp11's
// engine is what systemd-measure's --private-key-source=engine:pkcs11 uses too.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
SigningKey SigningKey::load_pkcs11(const std::string& uri) {
  SigningKey s;
  s.path_ = without_pin(uri);
  ENGINE_load_builtin_engines();
  // The engine stays loaded for the rest of the process (a static holds it): freeing the last
  // reference unloads libp11, orphaning the global state it keeps (its RSA method, slots).
  static std::vector<ENGINE*> loaded;
  ENGINE* e = ENGINE_by_id("pkcs11");
  if (!e)
    throw_environment(
        "OpenSSL's pkcs11 engine is not installed (libengine-pkcs11-openssl): " + openssl_error(),
        s.path_);
  loaded.push_back(e);
  const std::string module = query_attribute(uri, "module-path");
  if (!module.empty() && ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module.c_str(), 0) != 1)
    throw_environment("the pkcs11 engine refused the module: " + openssl_error(), s.path_);
  if (ENGINE_init(e) != 1)
    throw_environment("cannot start the pkcs11 engine: " + openssl_error(), s.path_);
  // The PIN goes to the engine on its own: libp11 prints the URI it could not resolve.
  const std::string pin = query_attribute(uri, "pin-value");
  if (!pin.empty() && ENGINE_ctrl_cmd_string(e, "PIN", pin.c_str(), 0) != 1)
    throw_environment("the pkcs11 engine refused the PIN: " + openssl_error(), s.path_);
  const std::string key_uri = without_attribute(without_attribute(uri, "module-path"), "pin-value");
  EVP_PKEY* k = ENGINE_load_private_key(e, key_uri.c_str(), nullptr, nullptr);
  ENGINE_finish(e);
  if (!k) throw_bad_input("no such private key in the token: " + openssl_error(), s.path_);
  s.key_ = own(k);
  s.public_.key_ = public_half(k, s.path_);
  return s;
}
#pragma GCC diagnostic pop

SigningKey SigningKey::load(const std::string& spec) {
  return spec.starts_with("pkcs11:") ? load_pkcs11(spec) : load_pem(spec);
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

}  // namespace integral
