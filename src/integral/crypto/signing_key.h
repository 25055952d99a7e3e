// Keys that sign reference values: a private key read from a PEM file (RSA or EC, through
// OpenSSL), and the public half other tools identify it by.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "integral/crypto/digest.h"

using EVP_PKEY = struct evp_pkey_st;

namespace integral {

class PublicKey {
 public:
  // A PEM public key (SubjectPublicKeyInfo). Errors name the file: kBadInput.
  static PublicKey load_pem(const std::filesystem::path& path);
  // The same from PEM text; `what` names it in errors.
  static PublicKey from_pem(std::string_view pem, const std::string& what);

  // SHA-256 of the SubjectPublicKeyInfo DER: the key's identity in integral's signatures.
  Digest id() const;
  // SHA-256 of the key in the TPM-independent encoding OpenSSL's i2d_PublicKey gives (RSA:
  // the PKCS#1 RSAPublicKey; EC: the uncompressed point): systemd's "pkfp".
  Digest fingerprint() const;
  std::string pem() const;  // SubjectPublicKeyInfo, PEM
  bool operator==(const PublicKey& other) const;
  // Whether `sig` is this key's signature of `message` hashed with `md` (RSA PKCS#1 v1.5 or
  // ECDSA).
  bool verify(HashAlg md, std::span<const uint8_t> message, std::span<const uint8_t> sig) const;

  EVP_PKEY* get() const { return key_.get(); }

 private:
  friend class SigningKey;
  std::shared_ptr<EVP_PKEY> key_;
};

class SigningKey {
 public:
  // An unencrypted PEM private key. Errors name the file: kBadInput.
  static SigningKey load_pem(const std::filesystem::path& path);
  // A key in a PKCS#11 token, by RFC 7512 URI ("pkcs11:token=T;object=O?pin-value=1234"),
  // through OpenSSL's pkcs11 engine (libp11); a "module-path" query attribute names the
  // token's module (default: the engine's, p11-kit's proxy). Errors: kBadInput (no such key),
  // kEnvironment (no engine).
  static SigningKey load_pkcs11(const std::string& uri);
  // A "pkcs11:" URI, else a PEM file.
  static SigningKey load(const std::string& spec);
  // Where the key came from, for messages (a URI without its PIN).
  const std::string& source() const { return path_; }

  // Signature of `message` hashed with `md`: RSA PKCS#1 v1.5 (deterministic, so two signers
  // with the same key write the same bytes) or ECDSA (DER).
  std::vector<uint8_t> sign(HashAlg md, std::span<const uint8_t> message) const;
  const PublicKey& public_key() const { return public_; }

 private:
  std::shared_ptr<EVP_PKEY> key_;
  PublicKey public_;
  std::string path_;
};

}  // namespace integral
