#include "integral/reference/bundle_signature.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/temp_dir.h"

namespace integral {
namespace {

class BundleSignatureTest : public ::testing::Test {
 protected:
  SigningKey make_key(const char* name, const char* type) {
    EVP_PKEY* k = std::string(type) == "RSA"
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    const auto path = dir_.path() / name;
    std::FILE* f = std::fopen(path.c_str(), "w");
    PEM_write_PrivateKey(f, k, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    EVP_PKEY_free(k);
    return SigningKey::load_pem(path);
  }
  std::span<const uint8_t> bytes() const {
    return {reinterpret_cast<const uint8_t*>(bundle_.data()), bundle_.size()};
  }

  TempDir dir_{"integral_bundle_sig_"};
  std::string bundle_ = R"({"format": "integral-reference-values", "version": 1})"
                        "\n";
};

TEST_F(BundleSignatureTest, SignedBundleVerifiesAndNamesItsKey) {
  for (const char* type : {"RSA", "EC"}) {
    const SigningKey key = make_key("k.pem", type);
    const std::string sig = sign_bundle(bytes(), "reference-values.json", key);
    const auto j = nlohmann::json::parse(sig);
    EXPECT_EQ(j["file"]["size"], bundle_.size());
    EXPECT_EQ(j["key"]["id"], key.public_key().id().hex());
    EXPECT_EQ(j["algorithm"], std::string(type) == "RSA" ? "rsa-pkcs1v15-sha256" : "ecdsa-sha256");
    BundleCheck c = verify_bundle(bytes(), sig, "s", {});
    EXPECT_TRUE(c.ok) << c.reason;
    EXPECT_EQ(c.key_id, key.public_key().id().hex());
    c = verify_bundle(bytes(), sig, "s", {key.public_key()});
    EXPECT_TRUE(c.ok) << c.reason;
  }
}

TEST_F(BundleSignatureTest, RefusesAnotherKeyAChangedFileAndAForgedSignature) {
  const SigningKey dev = make_key("dev.pem", "RSA"), prod = make_key("prod.pem", "RSA");
  const std::string sig = sign_bundle(bytes(), "b.json", dev);
  BundleCheck c = verify_bundle(bytes(), sig, "s", {prod.public_key()});
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.reason.find("not by a required key"), std::string::npos);

  const char was = bundle_[3];
  bundle_[3] = 'X';
  c = verify_bundle(bytes(), sig, "s", {});
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.reason.find("not the one signed"), std::string::npos);
  bundle_[3] = was;

  // The production key's public key in a dev signature: the signature no longer verifies.
  auto j = nlohmann::json::parse(sig);
  j["key"]["public_key"] = prod.public_key().pem();
  j["key"]["id"] = prod.public_key().id().hex();
  c = verify_bundle(bytes(), j.dump(), "s", {prod.public_key()});
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.reason.find("does not verify"), std::string::npos) << c.reason;
  // A key id that is not the embedded key's.
  j = nlohmann::json::parse(sig);
  j["key"]["id"] = prod.public_key().id().hex();
  EXPECT_FALSE(verify_bundle(bytes(), j.dump(), "s", {}).ok);
}

TEST_F(BundleSignatureTest, MalformedSignatureFilesAreBadInputNamingTheFile) {
  for (const char* text : {"", "[]", R"({"format": "other", "version": 1})",
                           R"({"format": "integral-bundle-signature", "version": 2})",
                           R"({"format": "integral-bundle-signature", "version": 1, "file": 3})",
                           // found by fuzz_bundle_signature: a format that is not a string,
                           // a number out of a double's range
                           R"({"format": {"name": "x", "size": 1, "s56%ah2": "00"}})",
                           R"({"format": 6666600000000000176916211023982E10048})"}) {
    try {
      verify_bundle(bytes(), text, "bad.sig", {});
      FAIL() << "accepted " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadInput);
      EXPECT_NE(std::string(e.what()).find("bad.sig"), std::string::npos);
    }
  }
}

TEST_F(BundleSignatureTest, BundleVouchesOnlyForThePredictionItNamesUnchanged) {
  const std::string pred = "{\"format\": \"integral-prediction\"}\n";
  write_file_atomic(dir_.path() / "host.prediction.json", pred);
  const std::string bundle =
      nlohmann::json{{"boots",
                      {{"host",
                        {{"prediction", "host.prediction.json"},
                         {"prediction_sha256", hash(HashAlg::kSha256, pred).hex()}}}}}}
          .dump();
  std::string reason;
  EXPECT_EQ(
      bundle_boot_of(bundle, dir_.path() / "b.json", dir_.path() / "host.prediction.json", reason),
      "host");
  write_file_atomic(dir_.path() / "host.prediction.json", pred + " ");
  EXPECT_EQ(
      bundle_boot_of(bundle, dir_.path() / "b.json", dir_.path() / "host.prediction.json", reason),
      "");
  EXPECT_NE(reason.find("changed"), std::string::npos);
  write_file_atomic(dir_.path() / "other.json", pred);
  EXPECT_EQ(bundle_boot_of(bundle, dir_.path() / "b.json", dir_.path() / "other.json", reason), "");
  EXPECT_NE(reason.find("names no boot"), std::string::npos);
  // A digest that is not a string is a changed file, not a crash.
  const std::string odd =
      nlohmann::json{
          {"boots",
           {{"host", {{"prediction", "host.prediction.json"}, {"prediction_sha256", {1}}}}}}}
          .dump();
  EXPECT_EQ(
      bundle_boot_of(odd, dir_.path() / "b.json", dir_.path() / "host.prediction.json", reason),
      "");
  EXPECT_NE(reason.find("changed"), std::string::npos);
}

}  // namespace
}  // namespace integral
