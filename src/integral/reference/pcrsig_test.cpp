#include "integral/reference/pcrsig.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "integral/crypto/base64.h"
#include "integral/predict/stage.h"
#include "integral/util/error.h"
#include "integral/util/hex.h"
#include "integral/util/temp_dir.h"

namespace integral {
namespace {

Digest h(HashAlg alg, std::span<const uint8_t> a, std::span<const uint8_t> b = {}) {
  Hasher x(alg);
  x.update(a);
  x.update(b);
  return x.finish();
}

class PcrsigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
    std::FILE* f = std::fopen((dir_.path() / "k.pem").c_str(), "w");
    PEM_write_PrivateKey(f, k, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    EVP_PKEY_free(k);
    key_ = std::make_unique<SigningKey>(SigningKey::load_pem(dir_.path() / "k.pem"));
    // One section event on PCR 11, then a pcrphase word the requested phases replace.
    p_.source = "test";
    p_.banks = {HashAlg::kSha256, HashAlg::kSha1};
    Event sec;
    sec.pcr = 11;
    sec.digests = {hash(HashAlg::kSha256, "section"), hash(HashAlg::kSha1, "section")};
    Event phase;
    phase.pcr = 11;
    phase.digests = {hash(HashAlg::kSha256, "sysinit"), hash(HashAlg::kSha1, "sysinit")};
    phase.provenance = {"systemd-pcrphase", std::string(kPcrphaseRule), std::nullopt};
    p_.chain.events = {sec, phase};
  }

  // The policy by hand (TPM 2.0 Part 3, TPM2_PolicyPCR): SHA-256 session from zeros,
  // TPM_CC_PolicyPCR, a TPML_PCR_SELECTION of PCR 11 in `bank`, H(PCR 11's value).
  std::string policy_by_hand(HashAlg bank, const std::vector<std::string>& words) {
    const std::vector<uint8_t> zero(digest_size(bank), 0);
    Digest pcr = h(bank, zero, hash(bank, "section").bytes());
    for (const auto& w : words) pcr = h(bank, pcr.bytes(), hash(bank, w).bytes());
    const auto alg = static_cast<uint16_t>(bank);
    std::vector<uint8_t> m(32, 0);
    m.insert(m.end(), {0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x00, 0x01});
    m.insert(m.end(),
             {static_cast<uint8_t>(alg >> 8), static_cast<uint8_t>(alg), 3, 0x00, 0x08, 0x00});
    const Digest pd = hash(HashAlg::kSha256, pcr.bytes());
    m.insert(m.end(), pd.bytes().begin(), pd.bytes().end());
    return h(HashAlg::kSha256, m).hex();
  }

  TempDir dir_{"integral_pcrsig_"};
  std::unique_ptr<SigningKey> key_;
  Prediction p_;
};

TEST_F(PcrsigTest, PoliciesPerBankAndPhaseInSystemdsOrder) {
  PcrsigOptions o;
  o.banks = {HashAlg::kSha256, HashAlg::kSha1, HashAlg::kSha256};
  o.phases = {"enter-initrd", "a:b", "", "a::b", "enter-initrd"};
  const std::string text = pcrsig_json(p_, o, *key_);
  ASSERT_EQ(text.back(), '\n');
  const auto j = nlohmann::ordered_json::parse(text);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j.begin().key(), "sha1");  // TPM algorithm order, repeats dropped
  const std::vector<std::vector<std::string>> words = {
      {}, {"a", "b"}, {"a", "b"}, {"enter-initrd"}};
  for (HashAlg bank : {HashAlg::kSha1, HashAlg::kSha256}) {
    const auto& list = j.at(std::string(hash_alg_name(bank)));
    ASSERT_EQ(list.size(), 4u);  // "", "a::b", "a:b", "enter-initrd": sorted, repeats dropped
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(list[i]["pcrs"], nlohmann::json::array({11}));
      EXPECT_EQ(list[i]["pkfp"], key_->public_key().fingerprint().hex());
      EXPECT_EQ(list[i]["pol"], policy_by_hand(bank, words[i])) << i;
      const auto pol = from_hex(list[i]["pol"].get<std::string>());
      ASSERT_TRUE(pol);
      // The signature is over the policy, hashed with the bank's algorithm.
      const auto sig = base64_decode(list[i]["sig"].get<std::string>());
      ASSERT_TRUE(sig);
      EXPECT_EQ(sig->size(), 256u);  // a 2048-bit RSA signature
      EXPECT_TRUE(key_->public_key().verify(bank, *pol, *sig));
    }
  }
}

TEST_F(PcrsigTest, RefusesBanksThePredictionLacksAndPcrsOutOfRange) {
  PcrsigOptions o;
  o.banks = {HashAlg::kSha384};
  EXPECT_THROW(pcrsig_json(p_, o, *key_), Error);
  o.banks = {};
  o.pcrs = {24};
  EXPECT_THROW(pcrsig_json(p_, o, *key_), Error);
}

}  // namespace
}  // namespace integral
