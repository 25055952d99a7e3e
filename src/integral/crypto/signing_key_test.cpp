#include "integral/crypto/signing_key.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <string>

#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/temp_dir.h"

namespace integral {
namespace {

// A fresh key written as PEM files (private, public) by OpenSSL itself.
struct KeyFiles {
  TempDir dir{"integral_signing_key_"};
  std::filesystem::path priv = dir.path() / "key.pem", pub = dir.path() / "key.pub";
  std::vector<uint8_t> spki;  // the public key's SubjectPublicKeyInfo DER

  explicit KeyFiles(EVP_PKEY* k) {
    std::FILE* f = std::fopen(priv.c_str(), "w");
    PEM_write_PrivateKey(f, k, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    f = std::fopen(pub.c_str(), "w");
    PEM_write_PUBKEY(f, k);
    std::fclose(f);
    unsigned char* der = nullptr;
    int n = i2d_PUBKEY(k, &der);
    spki.assign(der, der + n);
    OPENSSL_free(der);
    EVP_PKEY_free(k);
  }
};

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(SigningKey, RsaSignaturesAreDeterministicAndVerify) {
  KeyFiles kf(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  const SigningKey key = SigningKey::load_pem(kf.priv);
  for (HashAlg md : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512}) {
    auto a = key.sign(md, bytes("policy"));
    EXPECT_EQ(a.size(), 256u);
    EXPECT_EQ(a, key.sign(md, bytes("policy")));  // PKCS#1 v1.5: no randomness
    EXPECT_TRUE(key.public_key().verify(md, bytes("policy"), a));
    EXPECT_FALSE(key.public_key().verify(md, bytes("policz"), a));
    a[7] ^= 1;
    EXPECT_FALSE(key.public_key().verify(md, bytes("policy"), a));
  }
  EXPECT_TRUE(PublicKey::load_pem(kf.pub) == key.public_key());
}

// For an EC key i2d_PublicKey is the uncompressed point, which ends the SubjectPublicKeyInfo
// (its BIT STRING's content after the unused-bits byte): 65 bytes for P-256, starting 0x04.
TEST(SigningKey, EcFingerprintIsTheSha256OfThePoint) {
  KeyFiles kf(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  const SigningKey key = SigningKey::load_pem(kf.priv);
  ASSERT_GE(kf.spki.size(), 65u);
  std::vector<uint8_t> point(kf.spki.end() - 65, kf.spki.end());
  EXPECT_EQ(point[0], 0x04);
  Hasher h(HashAlg::kSha256);
  h.update(point);
  EXPECT_EQ(key.public_key().fingerprint(), h.finish());
  auto sig = key.sign(HashAlg::kSha256, bytes("x"));
  EXPECT_TRUE(PublicKey::load_pem(kf.pub).verify(HashAlg::kSha256, bytes("x"), sig));
}

TEST(SigningKey, RefusesWhatIsNotAKeyNamingTheFile) {
  TempDir dir("integral_signing_key_");
  write_file_atomic(dir.path() / "junk.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n");
  try {
    SigningKey::load_pem(dir.path() / "junk.pem");
    FAIL() << "accepted junk";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("junk.pem"), std::string::npos);
  }
  EXPECT_THROW(PublicKey::load_pem(dir.path() / "missing.pub"), Error);
}

}  // namespace
}  // namespace integral
