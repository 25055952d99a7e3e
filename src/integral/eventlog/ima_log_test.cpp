#include "integral/eventlog/ima_log.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "integral/util/error.h"
#include "integral/util/hex.h"

namespace integral {
namespace {

// Generated lists whose PCR 10 evmctl ima_measurement (ima-evm-utils 1.4) confirmed.
const std::string kDir = std::string(INTEGRAL_TEST_DATA) + "/ima/";
const std::vector<HashAlg> kBanks = {HashAlg::kSha1, HashAlg::kSha256};

std::string expected(const std::string& stem, const char* bank) {
  std::ifstream in(kDir + stem + ".expected.json");
  return nlohmann::json::parse(in)["pcr10"][bank];
}

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(ImaLog, GeneratedVectorsReplayToEvmctlsPcr10InBothForms) {
  for (const char* stem : {"ima_ng_sig_buf", "ima_legacy"}) {
    for (const char* ext : {".bin", ".ascii"}) {
      SCOPED_TRACE(std::string(stem) + ext);
      ImaReader reader(kDir + stem + ext);
      EXPECT_EQ(reader.format(),
                std::string(ext) == ".bin" ? ImaFormat::kBinary : ImaFormat::kAscii);
      ImaReplay r = replay_ima(reader, kBanks);
      EXPECT_EQ(r.mismatch_count, 0u);
      EXPECT_EQ(r.pcrs, std::vector<unsigned>{10});
      EXPECT_EQ(r.values.get(HashAlg::kSha1, 10).hex(), expected(stem, "sha1"));
      EXPECT_EQ(r.values.get(HashAlg::kSha256, 10).hex(), expected(stem, "sha256"));
    }
  }
}

TEST(ImaLog, AsciiAndBinaryEntriesRebuildTheSameTemplateData) {
  ImaReader bin(kDir + "ima_ng_sig_buf.bin"), ascii(kDir + "ima_ng_sig_buf.ascii");
  ImaEntry a, b;
  size_t n = 0, violations = 0;
  while (bin.next(a)) {
    ASSERT_TRUE(ascii.next(b));
    EXPECT_EQ(a.template_name, b.template_name);
    EXPECT_EQ(a.template_data, b.template_data) << a.name;
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.file_digest, b.file_digest);
    EXPECT_EQ(a.extra, b.extra);
    violations += a.violation();
    ++n;
  }
  EXPECT_FALSE(ascii.next(b));
  EXPECT_EQ(n, 7u);
  EXPECT_EQ(violations, 1u);  // /etc/passwd
}

TEST(ImaLog, AChangedFieldIsATemplateHashMismatch) {
  auto bytes = read_all(kDir + "ima_ng_sig_buf.ascii");
  std::string text(bytes.begin(), bytes.end());
  auto at = text.find("/usr/bin/bash");
  ASSERT_NE(at, std::string::npos);
  text[at + 9] = 'd';  // /usr/bin/dash
  std::vector<uint8_t> changed(text.begin(), text.end());
  ImaReader reader(changed, "t.ascii");
  ImaReplay r = replay_ima(reader, kBanks);
  ASSERT_EQ(r.mismatch_count, 1u);
  EXPECT_EQ(r.mismatches[0].where, 2u);  // line 2
}

TEST(ImaLog, TruncationAndLyingLengthsNameTheOffset) {
  auto good = read_all(kDir + "ima_ng_sig_buf.bin");
  ASSERT_GT(good.size(), 64u) << "vector missing: " << kDir << "ima_ng_sig_buf.bin";
  // Every truncation either ends at an entry boundary or fails with an offset inside the file.
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<ptrdiff_t>(n));
    try {
      ImaReader r(cut, "t.bin", ImaFormat::kBinary);
      replay_ima(r, kBanks);
    } catch (const Error& e) {
      ASSERT_TRUE(e.offset());
      EXPECT_LE(*e.offset(), n);
    }
  }
  // Template data length of 4 GiB - 1 in the first entry (after pcr, hash, name "ima-ng").
  auto lying = good;
  const size_t len_at = 4 + 20 + 4 + 6;
  for (size_t i = 0; i < 4; ++i) lying[len_at + i] = 0xFF;
  ImaReader r(lying, "t.bin", ImaFormat::kBinary);
  try {
    replay_ima(r, kBanks);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.offset(), len_at);
    EXPECT_NE(e.message().find("template data length"), std::string::npos);
  }
}

TEST(ImaLog, BadAsciiLinesNameTheLine) {
  for (const std::string& bad : std::vector<std::string>{
           "10 zz ima-ng sha256:00 /x\n", "99 " + std::string(40, '0') + " ima-ng sha256:00 /x\n",
           "10 " + std::string(40, '1') + " ima-ng nocolon /x\n",
           "10 " + std::string(40, '1') + " frob sha256:00 /x\n"}) {
    std::string text = "10 " + std::string(40, '1') + " ima-ng sha256:00 /ok\n" + bad;
    std::vector<uint8_t> b(text.begin(), text.end());
    ImaReader r(b, "t.ascii");
    try {
      replay_ima(r, kBanks);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_NE(e.message().find("line 2:"), std::string::npos) << e.message();
    }
  }
}

// The kernel's rule for a bank whose hash it lacks (and every non-SHA-1 bank before Linux 5.8):
// the SHA-1 template digest zero-padded to the bank's size; a violation is 20 0xFF bytes
// zero-padded. Expected values are built here byte by byte.
TEST(ImaLog, PaddedSha1BanksFollowTheKernelsRule) {
  const std::string name = "/usr/bin/true";
  std::vector<uint8_t> d(32, 0x11);
  // ima-ng template data: u32 len, "sha256:" NUL digest; u32 len, name NUL.
  std::vector<uint8_t> data;
  auto put32 = [&](size_t v) {
    for (int i = 0; i < 4; ++i) data.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  put32(8 + 32);
  for (char ch : std::string("sha256:")) data.push_back(static_cast<uint8_t>(ch));
  data.push_back(0);
  data.insert(data.end(), d.begin(), d.end());
  put32(name.size() + 1);
  data.insert(data.end(), name.begin(), name.end());
  data.push_back(0);
  Digest t1 = hash(HashAlg::kSha1, data);
  std::string text = "10 " + t1.hex() + " ima-ng sha256:" + std::string(64, '1') + " " + name +
                     "\n10 " + std::string(40, '0') + " ima-ng sha256:" + std::string(64, '0') +
                     " /etc/shadow\n";
  std::vector<uint8_t> list(text.begin(), text.end());
  ImaReader reader(list, "t.ascii");
  ImaReplay r =
      replay_ima(reader, {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384}, {HashAlg::kSha384});
  EXPECT_EQ(r.mismatch_count, 0u);
  EXPECT_EQ(r.violations, 1u);
  auto extend = [](HashAlg alg, std::vector<uint8_t> pcr, std::vector<uint8_t> value) {
    pcr.insert(pcr.end(), value.begin(), value.end());
    Digest h = hash(alg, pcr);  // kept: a span of a temporary would dangle
    return std::vector<uint8_t>(h.bytes().begin(), h.bytes().end());
  };
  auto bytes = [](const Digest& x) {
    return std::vector<uint8_t>(x.bytes().begin(), x.bytes().end());
  };
  // sha384 bank: sha1 template digest || 28 zero bytes, then 0xFF x 20 || 28 zero bytes.
  std::vector<uint8_t> padded = bytes(t1);
  padded.resize(48, 0);
  std::vector<uint8_t> ff(20, 0xFF);
  ff.resize(48, 0);
  auto p384 =
      extend(HashAlg::kSha384, extend(HashAlg::kSha384, std::vector<uint8_t>(48, 0), padded), ff);
  EXPECT_EQ(to_hex(r.values.get(HashAlg::kSha384, 10).bytes()), to_hex(p384));
  // sha256 bank: native, and the violation is 0xFF x 32.
  auto p256 = extend(
      HashAlg::kSha256,
      extend(HashAlg::kSha256, std::vector<uint8_t>(32, 0), bytes(hash(HashAlg::kSha256, data))),
      std::vector<uint8_t>(32, 0xFF));
  EXPECT_EQ(to_hex(r.values.get(HashAlg::kSha256, 10).bytes()), to_hex(p256));
  // ima_extend_value gives the same per entry.
  ImaReader again(list, "t.ascii");
  ImaEntry e;
  ASSERT_TRUE(again.next(e));
  EXPECT_EQ(to_hex(ima_extend_value(e, HashAlg::kSha384, ImaBankRule::kPaddedSha1).bytes()),
            to_hex(padded));
}

}  // namespace
}  // namespace integral
