// The tboot and sinit stages against values composed by hand in the test with OpenSSL's EVP
// calls (not integral's hashing), following research txt.md §1.5-§1.6, and against the real
// vectors in tests/data/txt (A: TPM 2.0 DA, tboot 1.10.2; C: TPM 1.2 legacy, tboot 1.10.3;
// D: TPM 1.2 legacy, tboot 1.9.12 serial log without an event log).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "integral/chain/replay.h"
#include "integral/eventlog/txt_log.h"
#include "integral/predict/boot_description.h"
#include "integral/predict/prediction.h"
#include "integral/predict/test_boot.h"
#include "integral/predict/txt_profile.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/hex.h"

namespace integral {
namespace {

namespace fs = std::filesystem;

const fs::path kTxtVectors = fs::path(INTEGRAL_TEST_DATA) / "txt";
const char* kVectorA = "A_tboot-devel_dell-e5470_tpm20-tcg-da_tboot-1.10.2_txt-stat.txt";
const char* kVectorC = "C_tboot-devel_lenovo-t460p_tpm12-legacy_tboot-1.10.3_txt-stat.txt";
const char* kVectorD = "D_tboot-devel_lenovo_tpm12-legacy-smd6_tboot-1.9.12_serial.txt";

// EVP one-shot digest of a byte string, hex.
std::string evp(const char* alg, const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_get_digestbyname(alg), nullptr);
  return std::string(reinterpret_cast<char*>(md), n);
}
std::string hexs(const std::string& raw) {
  return to_hex(std::span(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
}
std::string unhex(const std::string& h) {
  auto b = from_hex(h);
  return std::string(b->begin(), b->end());
}
// tboot's module measurement H(H(cmdline) || H(image)).
std::string module_m(const char* alg, const std::string& cmd, const std::string& img) {
  return evp(alg, evp(alg, cmd) + evp(alg, img));
}
// Extends from the dynamic-launch reset (zero) with raw digests, in order.
std::string pcr(const char* alg, const std::vector<std::string>& values) {
  std::string p(static_cast<size_t>(EVP_MD_get_size(EVP_get_digestbyname(alg))), '\0');
  for (const auto& v : values) p = evp(alg, p + v);
  return hexs(p);
}

class TxtStageTest : public testing_support::BootTest {
 protected:
  TxtStageTest() : BootTest("txt-stage") {}
  void SetUp() override {
    BootTest::SetUp();
    kernel_ = std::string(5000, 'k') + "kernel";
    initrd_ = "initrd\x00\x01\x02";
    std::ofstream(dir_ / "vmlinuz", std::ios::binary) << kernel_;
    std::ofstream(dir_ / "initrd", std::ios::binary) << initrd_;
  }
  Prediction predict(const std::string& toml) { return predict_boot(toml); }
  std::string value(const Prediction& p, HashAlg alg, unsigned i) {
    return p.values().get(alg, i).hex();
  }

  std::string kernel_, initrd_;
};

// The default policy's event, composed by hand: H_bank(LE32(1) || H_cur(policy bytes)).
std::string policy_event(const char* bank, const char* cur, const std::string& policy_hex) {
  return evp(bank, std::string("\x01\0\0\0", 4) + evp(cur, unhex(policy_hex)));
}
const char* kPol12 = "02000401000000000000000300ff00000000000081130000000000008316001000004000";
const char* kPolDa = "02000b01000000000000000300ff00000000000081110000000000008316001000004000";

TEST_F(TxtStageTest, LegacyTpm12FromFiles) {
  auto p = predict(R"(
banks = ["sha1"]
[[stage]]
type = "tboot"
version = "1.10.5"
tpm = "1.2"
mapping = "legacy"
modules = ["vmlinuz", "initrd"]
module_cmdlines = ["root=/dev/sda1 ro quiet", ""]
)");
  ASSERT_EQ(p.chain.events.size(), 3u);
  EXPECT_TRUE(p.chain.dynamic_launch);
  const std::string m0 = module_m("SHA1", "root=/dev/sda1 ro quiet", kernel_);
  const std::string m1 = module_m("SHA1", "", initrd_);
  EXPECT_EQ(value(p, HashAlg::kSha1, 17), pcr("SHA1", {policy_event("SHA1", "SHA1", kPol12)}));
  EXPECT_EQ(value(p, HashAlg::kSha1, 18), pcr("SHA1", {m0}));
  EXPECT_EQ(value(p, HashAlg::kSha1, 19), pcr("SHA1", {m1}));
  EXPECT_EQ(p.chain.events[1].provenance.artifact, (dir_ / "vmlinuz").string());
  EXPECT_NE(p.chain.events[1].provenance.rule.find("module 0"), std::string::npos);
  EXPECT_EQ(*p.chain.events[0].type, 0x501u);
}

TEST_F(TxtStageTest, DaTpm20Embedded) {
  auto p = predict(R"(
banks = ["sha1", "sha256"]
[[stage]]
type = "tboot"
version = "1.10.2"
tpm = "2.0"
cmdline = "logging=serial extpol=embedded"
modules = ["vmlinuz", "initrd"]
module_cmdlines = ["ro", ""]
)");
  // PCR 17: policy, module 0, module 1 (any -> 17); PCR 18: policy again. Both banks; the inner
  // policy hash is SHA-256 in the SHA-1 bank too.
  for (const char* alg : {"SHA1", "SHA256"}) {
    HashAlg a = std::string(alg) == "SHA1" ? HashAlg::kSha1 : HashAlg::kSha256;
    const std::string pol = policy_event(alg, "SHA256", kPolDa);
    EXPECT_EQ(value(p, a, 17),
              pcr(alg, {pol, module_m(alg, "ro", kernel_), module_m(alg, "", initrd_)}));
    EXPECT_EQ(value(p, a, 18), pcr(alg, {pol}));
  }
  EXPECT_EQ(p.chain.events.size(), 4u);
}

TEST_F(TxtStageTest, DaTpm20FixedBankOnly) {
  auto p = predict(R"(
banks = ["sha1", "sha256"]
[[stage]]
type = "tboot"
version = "1.10.2"
tpm = "2.0"
modules = ["vmlinuz"]
)");
  for (const auto& e : p.chain.events) {
    ASSERT_EQ(e.digests.size(), 1u);
    EXPECT_EQ(e.digests[0].alg(), HashAlg::kSha256);
  }
  EXPECT_EQ(value(p, HashAlg::kSha256, 17), pcr("SHA256", {policy_event("SHA256", "SHA256", kPolDa),
                                                           module_m("SHA256", "", kernel_)}));
}

TEST_F(TxtStageTest, OldTbootStripsTheFileName) {
  auto boot = [&](const std::string& version) {
    return predict(R"(
banks = ["sha1"]
[[stage]]
type = "tboot"
version = ")" + version +
                   R"("
tpm = "1.2"
mapping = "legacy"
modules = ["vmlinuz"]
module_cmdlines = ["/boot/vmlinuz-4.4  root=/dev/sda1"]
)");
  };
  EXPECT_EQ(value(boot("1.9.3"), HashAlg::kSha1, 18),
            pcr("SHA1", {module_m("SHA1", "root=/dev/sda1", kernel_)}));
  EXPECT_EQ(value(boot("1.9.4"), HashAlg::kSha1, 18),
            pcr("SHA1", {module_m("SHA1", "/boot/vmlinuz-4.4  root=/dev/sda1", kernel_)}));
}

TEST_F(TxtStageTest, AutoMappingAndMeasureNv) {
  // SINIT caps with pcr_map_da (bit 5): the command line's pcr_map=da selects DA on TPM 1.2,
  // where >= 1.10 keeps the TPM 1.2 default policy (modules >= 1 to PCR 19).
  auto p = predict(R"(
banks = ["sha1"]
[[stage]]
type = "tboot"
version = "1.10.3"
tpm = "1.2"
sinit_caps = 0x20
cmdline = "pcr_map=da measure_nv=true"
modules = ["vmlinuz", "initrd"]
nv = ["0x40000010=00112233445566778899aabbccddeeff00112233"]
)");
  const std::string pol = policy_event("SHA1", "SHA1", kPol12);
  EXPECT_EQ(value(p, HashAlg::kSha1, 17), pcr("SHA1", {pol, module_m("SHA1", "", kernel_)}));
  EXPECT_EQ(value(p, HashAlg::kSha1, 18), pcr("SHA1", {pol}));
  EXPECT_EQ(value(p, HashAlg::kSha1, 19), pcr("SHA1", {module_m("SHA1", "", initrd_)}));
  EXPECT_EQ(value(p, HashAlg::kSha1, 22),
            pcr("SHA1", {unhex("00112233445566778899aabbccddeeff00112233")}));
  // Without the caps, TPM 1.2 "auto" cannot decide.
  EXPECT_THROW(predict(R"(
banks = ["sha1"]
[[stage]]
type = "tboot"
version = "1.10.3"
tpm = "1.2"
modules = ["vmlinuz"]
)"),
               Error);
  // measure_nv without the NV content is an error, not a silent omission.
  EXPECT_THROW(predict(R"(
banks = ["sha1"]
[[stage]]
type = "tboot"
version = "1.10.3"
tpm = "1.2"
mapping = "legacy"
cmdline = "measure_nv=true"
)"),
               Error);
}

TEST_F(TxtStageTest, DigestSpecs) {
  const std::string img = evp("SHA256", kernel_);
  auto p = predict(R"(
banks = ["sha256"]
[[stage]]
type = "tboot"
version = "1.10.2"
tpm = "2.0"
modules = ["image-digest:sha256=)" +
                   hexs(img) + R"(", "digest:sha256=)" + std::string(64, 'a') + R"("]
module_cmdlines = ["ro", ""]
)");
  EXPECT_EQ(value(p, HashAlg::kSha256, 17),
            pcr("SHA256", {policy_event("SHA256", "SHA256", kPolDa),
                           module_m("SHA256", "ro", kernel_), unhex(std::string(64, 'a'))}));
  // A digest spec lacking a bank tboot extends fails, naming the key.
  try {
    predict(R"(
banks = ["sha1", "sha256"]
[[stage]]
type = "tboot"
version = "1.10.2"
tpm = "2.0"
cmdline = "extpol=embedded"
modules = ["digest:sha256=)" +
            std::string(64, 'a') + R"("]
)");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("sha1"), std::string::npos) << e.message();
  }
}

// A profile made from vector C, then the launch predicted from it plus C's own MLE and module
// measurements (the binaries are not available): PCR 17/18/19 equal the replay of C's log as the
// research note computed it (txt.md §4 C).
// The profile `integral txt profile` makes of a shared vector.
TxtProfile vector_profile(const char* name) {
  const std::string text = read_text_file(kTxtVectors / name);
  auto loaded = parse_txt_text(text, name);
  return make_profile(loaded.log, launch_facts(text), name, loaded.notes);
}

// A TPM 1.2 legacy launch predicted from a profile and the launch's own SHA-1 measurements
// (MLE hash, tboot's module 0 and 1 measurements) as digest: specs.
std::string legacy_launch(const std::string& profile, const std::string& mle,
                          const std::string& cmdline, const std::string& version,
                          const std::string& m0, const std::string& m1) {
  return "banks = [\"sha1\"]\n[[stage]]\ntype = \"sinit\"\nprofile = \"" + profile +
         "\"\nmle = \"digest:sha1=" + mle + "\"\ncmdline = \"" + cmdline +
         "\"\n[[stage]]\ntype = \"tboot\"\nversion = \"" + version +
         "\"\nmodules = [\"digest:sha1=" + m0 + "\", \"digest:sha1=" + m1 + "\"]\n";
}

TEST_F(TxtStageTest, VectorCLegacyFromProfile) {
  const std::string text = read_text_file(kTxtVectors / kVectorC);
  auto log = parse_txt_stat(text, kVectorC);
  auto prof = make_profile(log, launch_facts(text), kVectorC);
  EXPECT_EQ(prof.tpm, "1.2");
  EXPECT_EQ(prof.mapping, "legacy");
  EXPECT_EQ(prof.tboot_version, "1.10.3");
  EXPECT_EQ(prof.tboot_cmdline, "logging=serial,memory");
  write_file_atomic(dir_ / "c.toml", profile_to_toml(prof));
  auto back = load_profile(dir_ / "c.toml");
  ASSERT_EQ(back.events.size(), prof.events.size());
  for (size_t i = 0; i < back.events.size(); ++i) {
    EXPECT_EQ(back.events[i].digests, prof.events[i].digests);
    EXPECT_EQ(back.events[i].role, prof.events[i].role);
  }
  std::string mle, m0, m1;
  for (const auto& e : log.events) {
    if (e.type == 0x404) mle = e.digests[0].hex();
    if (e.type == 0x501 && e.pcr == 18) m0 = e.digests[0].hex();
    if (e.type == 0x501 && e.pcr == 19) m1 = e.digests[0].hex();
  }
  auto p = predict(legacy_launch("c.toml", mle, "logging=serial,memory", "1.10.3", m0, m1));
  EXPECT_EQ(value(p, HashAlg::kSha1, 17), "564d58b956e12bd98c0917e0185387df53556cb5");
  EXPECT_EQ(value(p, HashAlg::kSha1, 18), "9b99b3b24834ffab56a950d1af833a437c90bc71");
  EXPECT_EQ(value(p, HashAlg::kSha1, 19), "7246dc40ea65de09e43f7663d0118ec12eb2abec");
  // The profile's events carry their provenance.
  EXPECT_NE(p.chain.events[0].provenance.artifact.find("c.toml"), std::string::npos);
  EXPECT_NE(p.chain.events[0].provenance.rule.find("from profile"), std::string::npos);
}

// Vector D: no event log; the profile is rebuilt from the printed heap. HASH_START is kept as
// the value PCR 17 is set to (SinitHash), which survives the TOML round trip; PCR 17 is then
// composed by hand: SinitHash, SHA1 of the 76-byte COMBINED data, tboot's policy event.
TEST_F(TxtStageTest, VectorDHeapProfileSetsPcr17) {
  auto prof = vector_profile(kVectorD);
  EXPECT_EQ(prof.tpm, "1.2");
  EXPECT_EQ(prof.mapping, "legacy");
  EXPECT_EQ(prof.log_format, "tpm12-heap");
  EXPECT_EQ(prof.tboot_version, "1.9.12");
  write_file_atomic(dir_ / "d.toml", profile_to_toml(prof));
  auto back = load_profile(dir_ / "d.toml");
  ASSERT_EQ(back.events.size(), 6u);
  EXPECT_TRUE(back.events[0].sets);
  EXPECT_FALSE(back.events[1].sets);
  EXPECT_EQ(back.notes, prof.notes);
  ASSERT_EQ(back.notes.size(), 2u);
  EXPECT_NE(back.notes[1].find("not verified"), std::string::npos);

  const std::string sinit_hash = unhex("cc08beb0d8cb7b04068a5ef0cb1f3174c6306d43");
  const std::string mle = "c9182c8027e88e6b4b619e5ab3fad25952c503d3";
  const std::string vl18 = "c9e82c615a50f3332ed43c1bcb108566e05d0d05";
  const std::string vl19 = "7b1cc37b1753b087d6c55d9c60ab5c195c44067a";
  // BiosAcmId as printed, MsegValid 0 (LE64), StmHash 0, PolicyControl 0, LcpPolicyHash 0, caps 0.
  const std::string combined =
      unhex("800000002008051500002a4000000000ffffffff") + std::string(8 + 20 + 4 + 20 + 4, '\0');
  ASSERT_EQ(combined.size(), 76u);
  // tboot's policy event over the pol_hash the log prints (1.9.12's default policy).
  const std::string policy =
      evp("sha1", std::string("\x01\0\0\0", 4) + unhex("b20e59926d50223438e2ddfdbd286adfd020117d"));
  const std::string p17 = evp("sha1", evp("sha1", sinit_hash + evp("sha1", combined)) + policy);
  auto p = predict(legacy_launch("d.toml", mle, "logging=serial,memory,vga dump_memmap=true",
                                 "1.9.12", vl18, vl19));
  EXPECT_EQ(value(p, HashAlg::kSha1, 17), hexs(p17));
  EXPECT_EQ(value(p, HashAlg::kSha1, 17), "5b6470b0f6333f3fb75a2a08c486bcc929a46234");
  EXPECT_EQ(value(p, HashAlg::kSha1, 18), pcr("sha1", {unhex(mle), unhex(vl18)}));
  EXPECT_EQ(value(p, HashAlg::kSha1, 19), pcr("sha1", {unhex(vl19)}));
  ASSERT_FALSE(p.chain.events.empty());
  EXPECT_TRUE(p.chain.events[0].sets);
  // The set survives the prediction manifest's round trip.
  auto again = prediction_from_json(prediction_to_json(p).dump(), "p.json");
  EXPECT_TRUE(again.chain.events[0].sets);
  EXPECT_EQ(again.values().get(HashAlg::kSha1, 17).hex(), hexs(p17));
}

TEST_F(TxtStageTest, VectorAProfileRoles) {
  auto prof = vector_profile(kVectorA);
  EXPECT_EQ(prof.tpm, "2.0");
  EXPECT_EQ(prof.mapping, "da");
  EXPECT_EQ(prof.tboot_version, "1.10.2");
  EXPECT_EQ(prof.tboot_banks, std::vector<HashAlg>{HashAlg::kSha256});
  size_t platform = 0, mle = 0, tboot = 0;
  for (const auto& e : prof.events) {
    platform += e.role == "platform";
    mle += e.role == "mle";
    tboot += e.role == "tboot";
  }
  EXPECT_EQ(mle, 1u);
  EXPECT_EQ(tboot, 4u);
  EXPECT_EQ(platform, 14u);  // 16 SINIT records less PCR_MAPPING and MLE_HASH
}

// OsSinitData.Capabilities carry tboot's version (cbnt_supported from 1.10.1): predicting an
// older tboot on vector A's platform changes the OSSINITDATA_CAP_HASH events (PCR 17 and 18)
// to H(LE32 0x202), composed here; a tboot stage disagreeing with the assumed version fails.
TEST_F(TxtStageTest, OsSinitCapsFollowTbootVersion) {
  auto prof = vector_profile(kVectorA);
  write_file_atomic(dir_ / "a.toml", profile_to_toml(prof));
  auto boot = [](const std::string& sinit_version, const std::string& tboot_version) {
    return R"(
banks = ["sha1", "sha256"]
[[stage]]
type = "sinit"
profile = "a.toml"
mle = "digest:sha1=)" +
           std::string(40, '1') + ",sha256=" + std::string(64, '2') + "\"\n" +
           (sinit_version.empty() ? "" : "tboot_version = \"" + sinit_version + "\"\n") + R"(
[[stage]]
type = "tboot"
version = ")" +
           tboot_version +
           R"("
modules = ["digest:sha256=)" +
           std::string(64, '3') + R"("]
)";
  };
  auto caps_events = [](const Prediction& p) {
    std::vector<const Event*> out;
    for (const auto& e : p.chain.events)
      if (e.type == 0x40fu) out.push_back(&e);
    return out;
  };
  auto same = predict(boot("", "1.10.2"));
  auto old = predict(boot("1.9.12", "1.9.12"));
  ASSERT_EQ(caps_events(same).size(), 2u);  // PCR 17 and PCR 18
  ASSERT_EQ(caps_events(old).size(), 2u);
  const std::string le602("\x02\x06\0\0", 4), le202("\x02\x02\0\0", 4);
  for (const Event* e : caps_events(same)) {
    EXPECT_EQ(std::string(e->data.begin(), e->data.end()), le602);
    EXPECT_EQ(e->digest(HashAlg::kSha256)->hex(), hexs(evp("sha256", le602)));
  }
  for (const Event* e : caps_events(old)) {
    EXPECT_EQ(std::string(e->data.begin(), e->data.end()), le202);
    EXPECT_EQ(e->digest(HashAlg::kSha1)->hex(), hexs(evp("sha1", le202)));
    EXPECT_EQ(e->digest(HashAlg::kSha256)->hex(), hexs(evp("sha256", le202)));
    EXPECT_NE(e->description.find("0x202 for tboot 1.9.12"), std::string::npos) << e->description;
  }
  EXPECT_NE(value(same, HashAlg::kSha256, 18), value(old, HashAlg::kSha256, 18));
  try {
    predict(boot("", "1.9.12"));
    ADD_FAILURE() << "a tboot older than the profile's caps assumption was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("set tboot_version = \"1.9.12\""), std::string::npos)
        << e.what();
  }
}

TEST_F(TxtStageTest, SinitStageRules) {
  write_file_atomic(dir_ / "p.toml", R"(
format = "integral-txt-profile"
version = 1
tpm = "2.0"
mapping = "da"
banks = ["sha256"]
[[event]]
pcr = 17
type = 0x402
role = "platform"
data = "00"
sha256 = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
[[event]]
pcr = 17
type = 0x404
role = "mle"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
[[event]]
pcr = 17
type = 0x501
role = "tboot"
sha256 = "1111111111111111111111111111111111111111111111111111111111111111"
)");
  auto p = predict(R"(
banks = ["sha256"]
[[stage]]
type = "sinit"
profile = "p.toml"
mle = "digest:sha256=)" +
                   std::string(64, 'b') + R"("
)");
  ASSERT_EQ(p.chain.events.size(), 2u);  // the tboot role is left to the tboot stage
  EXPECT_EQ(
      value(p, HashAlg::kSha256, 17),
      pcr("SHA256", {unhex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                     unhex(std::string(64, 'b'))}));
  // A bank the profile lacks, a missing MLE, and a tboot stage contradicting the profile fail.
  EXPECT_THROW(predict("banks = [\"sha1\"]\n[[stage]]\ntype = \"sinit\"\nprofile = \"p.toml\"\n"
                       "mle = \"digest:sha1=" +
                       std::string(40, 'b') + "\"\n"),
               Error);
  EXPECT_THROW(predict("banks = [\"sha256\"]\n[[stage]]\ntype = \"sinit\"\nprofile = \"p.toml\"\n"),
               Error);
  EXPECT_THROW(predict("banks = [\"sha256\"]\n[[stage]]\ntype = \"sinit\"\nprofile = \"p.toml\"\n"
                       "mle = \"digest:sha256=" +
                       std::string(64, 'b') +
                       "\"\n"
                       "[[stage]]\ntype = \"tboot\"\nversion = \"1.10.2\"\ntpm = \"1.2\"\n"),
               Error);
}

}  // namespace
}  // namespace integral
