#include "integral/eventlog/ima_log.h"
#include "integral/eventlog/ima_replay.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

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
  try {
    // The reader checks the first entries' layout when it opens the list.
    ImaReader r(lying, "t.bin", ImaFormat::kBinary);
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

// Per-bank lists and lists of any template, composed byte by byte as the kernel writes them
// (ima_fs.c: u32 PCR, the template digest in the list's bank, u32 name length, name, u32 data
// length, data; ASCII: PCR, hex digest, name, fields), with every template hash and expected
// PCR 10 computed here by OpenSSL's EVP, not by integral's hashing.
std::vector<uint8_t> evp(const char* alg, std::span<const uint8_t> data) {
  std::vector<uint8_t> md(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), md.data(), &n, EVP_get_digestbyname(alg), nullptr),
            1);
  md.resize(n);
  return md;
}

void put32(std::vector<uint8_t>& out, size_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

struct TestEntry {
  std::string template_name;  // what the list names it
  std::string alg;            // d-ng algorithm
  std::vector<uint8_t> file_digest;
  std::string name;
  std::optional<std::vector<uint8_t>> extra;  // a third field (sig, buf)
  bool violation = false;

  // The template data: each field with its u32 length (d-ng "alg:" NUL digest, n-ng name NUL).
  std::vector<uint8_t> data() const {
    std::vector<uint8_t> f(alg.begin(), alg.end());
    f.push_back(':');
    f.push_back(0);
    f.insert(f.end(), file_digest.begin(), file_digest.end());
    std::vector<uint8_t> out;
    put32(out, f.size());
    out.insert(out.end(), f.begin(), f.end());
    put32(out, name.size() + 1);
    out.insert(out.end(), name.begin(), name.end());
    out.push_back(0);
    if (extra) {
      put32(out, extra->size());
      out.insert(out.end(), extra->begin(), extra->end());
    }
    return out;
  }
  std::vector<uint8_t> template_hash(const char* bank) const {
    return violation ? std::vector<uint8_t>(evp(bank, {}).size(), 0) : evp(bank, data());
  }
};

std::vector<uint8_t> binary_list(const std::vector<TestEntry>& entries, const char* bank) {
  std::vector<uint8_t> out;
  for (const auto& e : entries) {
    put32(out, 10);
    auto h = e.template_hash(bank);
    out.insert(out.end(), h.begin(), h.end());
    put32(out, e.template_name.size());
    out.insert(out.end(), e.template_name.begin(), e.template_name.end());
    auto d = e.data();
    put32(out, d.size());
    out.insert(out.end(), d.begin(), d.end());
  }
  return out;
}

std::vector<uint8_t> ascii_list(const std::vector<TestEntry>& entries, const char* bank) {
  std::string out;
  for (const auto& e : entries) {
    out += "10 " + to_hex(e.template_hash(bank)) + " " + e.template_name + " " + e.alg + ":" +
           to_hex(e.file_digest) + " " + e.name;
    if (e.extra) out += " " + to_hex(*e.extra);
    out += "\n";
  }
  return {out.begin(), out.end()};
}

// PCR 10 in `bank` from zero: H(PCR || H_bank(template data)), all-ones for a violation.
std::string pcr10(const std::vector<TestEntry>& entries, const char* bank) {
  const size_t n = evp(bank, {}).size();
  std::vector<uint8_t> pcr(n, 0);
  for (const auto& e : entries) {
    auto v = e.violation ? std::vector<uint8_t>(n, 0xFF) : evp(bank, e.data());
    pcr.insert(pcr.end(), v.begin(), v.end());
    pcr = evp(bank, pcr);
  }
  return to_hex(pcr);
}

std::vector<TestEntry> sample_entries() {
  return {
      {"ima-ng", "sha256", std::vector<uint8_t>(32, 0xA1), "boot_aggregate", std::nullopt, false},
      {"ima-sig", "sha256", std::vector<uint8_t>(32, 0xB2), "/usr/bin/bash",
       std::vector<uint8_t>{0x03, 0x02, 0x04, 0xAA, 0xBB}, false},
      {"ima-ng", "sha256", std::vector<uint8_t>(32, 0), "/etc/passwd", std::nullopt, true},
      {"ima-buf", "sha256", std::vector<uint8_t>(32, 0xC3), "kexec-cmdline",
       std::vector<uint8_t>{'r', 'o', ' ', 'q'}, false},
  };
}

const std::vector<HashAlg> kAllBanks = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384,
                                        HashAlg::kSha512};

void expect_replay(ImaReader& reader, const std::vector<TestEntry>& entries) {
  ImaReplay r = replay_ima(reader, kAllBanks);
  EXPECT_EQ(r.entries, entries.size());
  EXPECT_EQ(r.mismatch_count, 0u) << (r.mismatches.empty() ? "" : r.mismatches[0].computed);
  EXPECT_EQ(r.pcrs, std::vector<unsigned>{10});
  for (HashAlg alg : kAllBanks) {
    std::string bank(hash_alg_name(alg));
    EXPECT_EQ(r.values.get(alg, 10).hex(), pcr10(entries, bank.c_str())) << bank;
  }
}

TEST(ImaLog, PerBankListsReplayInEveryBankWhereverTheirBankComesFrom) {
  const auto entries = sample_entries();
  for (HashAlg list_bank : kAllBanks) {
    const std::string bank(hash_alg_name(list_bank));
    SCOPED_TRACE(bank);
    for (bool ascii : {false, true}) {
      SCOPED_TRACE(ascii ? "ascii" : "binary");
      auto list = ascii ? ascii_list(entries, bank.c_str()) : binary_list(entries, bank.c_str());
      EXPECT_TRUE(looks_like_ima(list));
      // From the entries' layout (the hash's length in ASCII).
      ImaReader by_layout(list, ascii ? "list.txt" : "list.bin");
      EXPECT_EQ(by_layout.format(), ascii ? ImaFormat::kAscii : ImaFormat::kBinary);
      EXPECT_EQ(by_layout.bank(), list_bank);
      EXPECT_EQ(by_layout.bank_source(), ImaBankSource::kLayout);
      expect_replay(by_layout, entries);
      // From the securityfs file name.
      ImaReader by_name(list,
                        std::string(ascii ? "ascii" : "binary") + "_runtime_measurements_" + bank);
      EXPECT_EQ(by_name.bank(), list_bank);
      EXPECT_EQ(by_name.bank_source(), ImaBankSource::kFileName);
      expect_replay(by_name, entries);
      // From --ima-bank.
      ImaReader by_option(list, "x", std::nullopt, list_bank);
      EXPECT_EQ(by_option.bank_source(), ImaBankSource::kOption);
      expect_replay(by_option, entries);
      // Entries for display carry the logged hash in the list's bank.
      ImaReader shown(list, "list");
      ImaEntry e;
      ASSERT_TRUE(shown.next(e));
      EXPECT_EQ(to_hex(e.logged.bytes()), to_hex(entries[0].template_hash(bank.c_str())));
      EXPECT_EQ(e.name, "boot_aggregate");
    }
  }
}

TEST(ImaLog, PerBankTemplateHashesAreCheckedInTheListsBank) {
  auto entries = sample_entries();
  auto list = binary_list(entries, "sha384");
  // /usr/bin/bash -> /usr/bin/dash after the hash was taken.
  auto at = std::search(list.begin(), list.end(), entries[1].name.begin(), entries[1].name.end());
  ASSERT_NE(at, list.end());
  at[9] = 'd';
  entries[1].name[9] = 'd';
  ImaReader reader(list, "list.bin");
  ASSERT_EQ(reader.bank(), HashAlg::kSha384);
  ImaReplay r = replay_ima(reader, kAllBanks);
  ASSERT_EQ(r.mismatch_count, 1u);
  EXPECT_EQ(r.mismatches[0].computed, to_hex(evp("sha384", entries[1].data())));
  EXPECT_EQ(r.mismatches[0].name, "/usr/bin/dash");
}

TEST(ImaLog, ListsAreRecognisedByLayoutWhateverTheirFirstTemplate) {
  // Custom templates (the kernel names an unnamed one by its format string), ima-modsig and a
  // made-up name first: recognised by the record layout, never by a name starting "ima".
  for (const std::string first : {"d-ng|n-ng|sig", "ima-modsig", "evm-sig", "my_template"}) {
    SCOPED_TRACE(first);
    auto entries = sample_entries();
    entries[0].template_name = first;
    entries[0].extra = std::vector<uint8_t>{0x03, 0x02};
    for (const char* bank : {"sha1", "sha256"}) {
      auto list = binary_list(entries, bank);
      EXPECT_TRUE(looks_like_ima(list));
      ImaReader reader(list, "list");
      EXPECT_EQ(hash_alg_name(reader.bank()), bank);
      expect_replay(reader, entries);
      // A single entry is a list too.
      auto one = binary_list({entries[0]}, bank);
      EXPECT_TRUE(looks_like_ima(one));
    }
  }
}

TEST(ImaLog, AFirmwareLogIsNotAnImaListAndTheErrorSaysWhatWasExpected) {
  // A crypto-agile TCG log's first event: PCR 0, EV_NO_ACTION, 20 zero bytes, size, Spec ID.
  std::vector<uint8_t> tcg;
  put32(tcg, 0);
  put32(tcg, 3);
  tcg.insert(tcg.end(), 20, 0);
  std::string spec("Spec ID Event03\0", 16);
  std::vector<uint8_t> body(spec.begin(), spec.end());
  body.insert(body.end(), {0, 0, 0, 0, 0, 2, 0, 2, 1, 0, 0, 0, 0x0B, 0, 32, 0, 0});
  put32(tcg, body.size());
  tcg.insert(tcg.end(), body.begin(), body.end());
  EXPECT_FALSE(looks_like_ima(tcg));
  try {
    ImaReader r(tcg, "fw.bin", ImaFormat::kBinary);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("not an IMA list: entry at offset 0: "), std::string::npos)
        << e.message();
    EXPECT_NE(e.message().find("(expected PCR index, digest of 20/32/48/64 bytes, template name)"),
              std::string::npos)
        << e.message();
  }
  try {
    ImaReader r(tcg, "fw.bin", ImaFormat::kBinary, HashAlg::kSha256);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("digest of 32 bytes (sha256)"), std::string::npos) << e.message();
  }
  // An ASCII per-bank line whose hash is not the named bank's size names the size it wanted.
  auto ascii = ascii_list(sample_entries(), "sha256");
  ImaReader wrong(ascii, "ascii_runtime_measurements_sha512");
  try {
    replay_ima(wrong, kAllBanks);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("not 128 hex digits (a sha512 list)"), std::string::npos)
        << e.message();
  }
}

TEST(ImaLog, BankNamesAndFileNameSuffixes) {
  EXPECT_EQ(ima_bank_from_file_name("/sys/kernel/security/ima/binary_runtime_measurements_sha384"),
            HashAlg::kSha384);
  EXPECT_EQ(ima_bank_from_file_name("saved/ascii_runtime_measurements_sha512.txt"),
            HashAlg::kSha512);
  EXPECT_EQ(ima_bank_from_file_name("ascii_runtime_measurements_sm3"), HashAlg::kSm3_256);
  EXPECT_EQ(ima_bank_from_file_name("binary_runtime_measurements"), std::nullopt);
  EXPECT_EQ(ima_bank_from_file_name("my_sha256/list.bin"), std::nullopt);
  EXPECT_EQ(ima_bank_option(""), std::nullopt);
  EXPECT_EQ(ima_bank_option("sha256"), HashAlg::kSha256);
  EXPECT_THROW(ima_bank_option("md5"), Error);
}

}  // namespace
}  // namespace integral
