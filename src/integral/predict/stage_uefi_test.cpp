// The UEFI stages against published vectors (systemd-measure 252 output, a real Fedora 37
// sd-boot event log) and values derived by hand.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "integral/chain/event_type.h"
#include "integral/chain/replay.h"
#include "integral/predict/boot_description.h"
#include "integral/predict/stub_cpio.h"
#include "integral/predict/test_boot.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral {
namespace {

namespace fs = std::filesystem;

const fs::path kUkiVectors = fs::path(INTEGRAL_TEST_DATA) / "uki-pcr11";
// .sdmagic of Debian's stubs (strings(1) of linuxx64.efi.stub in systemd-boot-efi 252 and 254)
const std::string kSdmagic252 = "#### LoaderInfo: systemd-stub 252.39-1~deb12u2 ####";
const std::string kSdmagic254 = "#### LoaderInfo: systemd-stub 254.26-1~bpo12+1 ####";

void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

// A PE32+ image with the given sections (raw data 0x200-aligned, VirtualSize = content size),
// shaped like what objcopy makes of systemd's stub.
std::vector<uint8_t> make_pe(const std::vector<std::pair<std::string, std::string>>& sections) {
  std::vector<uint8_t> b(0x400, 0);
  b[0] = 'M';
  b[1] = 'Z';
  put32(b, 0x3c, 0x80);
  std::memcpy(b.data() + 0x80, "PE\0\0", 4);
  b[0x84] = 0x64;
  b[0x85] = 0x86;
  b[0x86] = static_cast<uint8_t>(sections.size());
  b[0x94] = 240;
  b[0x98] = 0x0b;
  b[0x99] = 0x02;
  put32(b, 0x98 + 60, 0x400);
  put32(b, 0x98 + 108, 16);
  size_t h = 0x188;
  for (const auto& [name, data] : sections) {
    size_t ptr = b.size();
    size_t raw = (data.size() + 0x1ff) & ~size_t{0x1ff};
    std::memcpy(b.data() + h, name.data(), name.size());
    put32(b, h + 8, static_cast<uint32_t>(data.size()));
    put32(b, h + 12, static_cast<uint32_t>(ptr + 0x10000));
    put32(b, h + 16, static_cast<uint32_t>(raw));
    put32(b, h + 20, static_cast<uint32_t>(ptr));
    b.insert(b.end(), data.begin(), data.end());
    b.resize(ptr + raw, 0);
    h += 40;
  }
  return b;
}

class UefiStageTest : public testing_support::BootTest {
 public:
  UefiStageTest() : BootTest("uefi") {}

  void write(const std::string& name, const std::string& data) {
    std::ofstream(dir_ / name, std::ios::binary) << data;
  }
  void write(const std::string& name, const std::vector<uint8_t>& data) {
    std::ofstream(dir_ / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()),
               static_cast<std::streamsize>(data.size()));
  }
  Chain predict(const std::string& toml) { return predict_boot(toml).chain; }
  PcrSet values(const std::string& toml, std::vector<HashAlg> banks) {
    return replay(predict(toml), banks);
  }
  void expect_bad(const std::string& toml, const std::string& needle) {
    const std::string what = refusal(toml);
    if (what.empty()) return;  // accepted: refusal() has failed the test
    EXPECT_NE(what.find(needle), std::string::npos) << what;
  }
};

std::vector<std::string> split_phase(const std::string& phase) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= phase.size()) {
    size_t end = phase.find(':', start);
    if (end == std::string::npos) end = phase.size();
    out.push_back(phase.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string utf16_nul(const std::string& ascii) {  // by hand: each byte, then a zero byte
  std::string s;
  for (char c : ascii) {
    s.push_back(c);
    s.push_back('\0');
  }
  return s + std::string(2, '\0');
}

// systemd-measure 252 `calculate` for the vector's inputs (calculate.json): every phase prefix,
// both banks; `sources` names the inputs as files or as a UKI.
void expect_calculate_json(UefiStageTest& t, const std::string& sources) {
  auto json = nlohmann::json::parse(read_text_file(kUkiVectors / "calculate.json"));
  int checked = 0;
  for (const char* bank : {"sha1", "sha256"}) {
    for (const auto& entry : json[bank]) {
      std::string words;
      for (const auto& w : split_phase(entry["phase"].get<std::string>()))
        words += (words.empty() ? "\"" : ", \"") + w + "\"";
      auto alg = *parse_hash_alg(bank);
      auto v = t.values("banks = [\"" + std::string(bank) + "\"]\n[[stage]]\ntype = \"uki\"\n" +
                            sources + "phases = [" + words + "]\n",
                        {alg});
      EXPECT_EQ(v.get(alg, 11).hex(), entry["hash"].get<std::string>()) << bank << " " << words;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 8);
}

TEST_F(UefiStageTest, UkiFromFilesEqualsSystemdMeasure252) {
  std::string sources;
  for (const char* n : {"linux", "osrel", "cmdline", "initrd"})
    sources += std::string(n) + " = \"" + (kUkiVectors / n).string() + "\"\n";
  expect_calculate_json(*this, sources + "systemd_version = 252\n");
}

TEST_F(UefiStageTest, UkiFromImageEqualsSystemdMeasure252) {
  // Sections in an order unlike the stub's, plus ones 252 does not measure (.sbat, .text) and
  // an empty one: the stage must still measure .linux .osrel .cmdline .initrd in that order.
  // The version comes from .sdmagic, as in Debian's 252 stub.
  auto read = [](const char* n) { return read_text_file(kUkiVectors / n); };
  write("uki.efi", make_pe({{".text", "code"},
                            {".sdmagic", kSdmagic252},
                            {".initrd", read("initrd")},
                            {".sbat", "sbat,1\n"},
                            {".cmdline", read("cmdline")},
                            {".osrel", read("osrel")},
                            {".splash", ""},
                            {".linux", read("linux")}}));
  expect_calculate_json(*this, "uki = \"uki.efi\"\n");
  auto chain = predict("banks = [\"sha256\"]\n[[stage]]\ntype = \"uki\"\nuki = \"uki.efi\"\n");
  ASSERT_EQ(chain.events.size(), 8u);
  EXPECT_EQ(chain.events[0].type, ev::kIpl);
  EXPECT_EQ(chain.events[0].digests[0], hash(HashAlg::kSha256, std::string(".linux\0", 7)));
  EXPECT_EQ(chain.events[1].provenance.artifact, (dir_ / "uki.efi").string() + "#.linux");
}

TEST_F(UefiStageTest, UkiSectionOrderFollowsTheStubVersionInSdmagic) {
  // No systemd_version: the 254 stub's .sdmagic chooses the order, which measures .uname and
  // .sbat after .linux (systemd-measure 254 agrees: tests/uki_versions_test.sh).
  write("uki.efi",
        make_pe({{".sdmagic", kSdmagic254}, {".linux", "K"}, {".sbat", "S"}, {".uname", "U"}}));
  const std::string head = "banks = [\"sha256\"]\n[[stage]]\ntype = \"uki\"\n";
  auto c254 = predict(head + "uki = \"uki.efi\"\n");
  ASSERT_EQ(c254.events.size(), 6u);
  EXPECT_EQ(c254.events[2].digests[0], hash(HashAlg::kSha256, std::string(".uname\0", 7)));
  EXPECT_EQ(c254.events[3].digests[0], hash(HashAlg::kSha256, std::string("U")));
  EXPECT_EQ(c254.events[4].digests[0], hash(HashAlg::kSha256, std::string(".sbat\0", 6)));
  EXPECT_EQ(c254.events[0].provenance.rule, "uki/systemd-254/name");
  // The same version given explicitly agrees; a contradicting one is refused.
  EXPECT_EQ(predict(head + "uki = \"uki.efi\"\nsystemd_version = 254\n").events.size(), 6u);
  expect_bad(head + "uki = \"uki.efi\"\nsystemd_version = 252\n", "says systemd-stub 254");

  // A 252 stub carries its own .sbat, which 252 does not measure: accepted, not measured.
  write("s252.efi", make_pe({{".sdmagic", kSdmagic252}, {".linux", "K"}, {".sbat", "S"}}));
  EXPECT_EQ(predict(head + "uki = \"s252.efi\"\n").events.size(), 2u);
  // .uname in a 252 image, .ucode in a 254 one: sections those stubs would not measure.
  write("u252.efi", make_pe({{".sdmagic", kSdmagic252}, {".linux", "K"}, {".uname", "U"}}));
  expect_bad(head + "uki = \"u252.efi\"\n",
             "section .uname (section table at offset 0x1d8) is "
             "not measured by systemd-stub 252");
  write("c254.efi", make_pe({{".sdmagic", kSdmagic254}, {".linux", "K"}, {".ucode", "C"}}));
  expect_bad(head + "uki = \"c254.efi\"\n", "section .ucode");
  // ... unless empty: the stub skips empty sections whatever their name.
  write("e252.efi", make_pe({{".sdmagic", kSdmagic252}, {".linux", "K"}, {".uname", ""}}));
  EXPECT_EQ(predict(head + "uki = \"e252.efi\"\n").events.size(), 2u);
  // A 257 multi-profile UKI: shared sections, then profiles from each .profile on; the booted
  // profile's sections replace shared ones of the same name, in the stub's order.
  const std::string magic257 = "#### LoaderInfo: systemd-stub 257.13-1~deb13u1 ####";
  write("p257.efi", make_pe({{".sdmagic", magic257},
                             {".linux", "K"},
                             {".cmdline", "A"},
                             {".profile", "P0"},
                             {".profile", "P1"},
                             {".cmdline", "B"}}));
  auto p0 = predict(head + "uki = \"p257.efi\"\n");
  ASSERT_EQ(p0.events.size(), 6u);  // .linux, .cmdline A, .profile P0
  EXPECT_EQ(p0.events[3].digests[0], hash(HashAlg::kSha256, std::string("A")));
  EXPECT_EQ(p0.events[4].digests[0], hash(HashAlg::kSha256, std::string(".profile\0", 9)));
  EXPECT_EQ(p0.events[5].digests[0], hash(HashAlg::kSha256, std::string("P0")));
  auto p1 = predict(head + "uki = \"p257.efi\"\nprofile = 1\n");
  ASSERT_EQ(p1.events.size(), 6u);  // .linux, .cmdline B (the profile's), .profile P1
  EXPECT_EQ(p1.events[1].digests[0], hash(HashAlg::kSha256, std::string("K")));
  EXPECT_EQ(p1.events[3].digests[0], hash(HashAlg::kSha256, std::string("B")));
  EXPECT_EQ(p1.events[5].digests[0], hash(HashAlg::kSha256, std::string("P1")));
  expect_bad(head + "uki = \"p257.efi\"\nprofile = 2\n", "no profile 2");
  write("p254.efi", make_pe({{".sdmagic", kSdmagic254}, {".linux", "K"}, {".profile", "ID=a"}}));
  expect_bad(head + "uki = \"p254.efi\"\n", "start with systemd-stub 257");

  // No .sdmagic and no systemd_version: refused, not guessed.
  write("bare.efi", make_pe({{".linux", "K"}, {".uname", "U"}}));
  expect_bad(head + "uki = \"bare.efi\"\n", "no .sdmagic section");
  EXPECT_EQ(predict(head + "uki = \"bare.efi\"\nsystemd_version = 255\n").events.size(), 4u);
  // .sdmagic that is not a stub's, has no number, an overlong one, or an unmodelled version.
  for (const auto& [magic, needle] : std::vector<std::pair<std::string, std::string>>{
           {"#### LoaderInfo: systemd-boot 252 ####", "not a systemd-stub UKI"},
           {"#### LoaderInfo: systemd-stub ####", "no version number"},
           {"#### LoaderInfo: systemd-stub 25400000 ####", "no version number"},
           {"#### LoaderInfo: systemd-stub 253.5 ####", "systemd-stub 253 ("},
           {"#### LoaderInfo: systemd-stub 258~rc1 ####", "systemd-stub 258 ("},
           {"#### LoaderInfo: systemd-stub 251 ####", "not modelled"}}) {
    write("m.efi", make_pe({{".sdmagic", magic}, {".linux", "K"}}));
    expect_bad(head + "uki = \"m.efi\"\n", needle);
    expect_bad(head + "uki = \"m.efi\"\n", "m.efi: section .sdmagic (file offset 0x400)");
  }
  // An oversized .sdmagic is refused before it is read.
  write("big.efi", make_pe({{".sdmagic", std::string(5000, '#')}, {".linux", "K"}}));
  expect_bad(head + "uki = \"big.efi\"\n", "more than 4096");
}

TEST_F(UefiStageTest, UkiSectionFilesNeedTheVersion) {
  const std::string head = "banks = [\"sha256\"]\n[[stage]]\ntype = \"uki\"\n";
  write("k", std::string("K"));
  write("u", std::string("U"));
  write("c", std::string("C"));
  expect_bad(head + "linux = \"k\"\n", "needs systemd_version with section files");
  expect_bad(head + "linux = \"k\"\nuname = \"u\"\nsystemd_version = 252\n",
             "'uname' systemd-stub 252 does not measure .uname");
  expect_bad(head + "linux = \"k\"\nucode = \"c\"\nsystemd_version = 255\n", "'ucode'");
  expect_bad(head + "linux = \"k\"\nsystemd_version = 253\n", "not modelled");
  expect_bad(head + "linux = \"k\"\nsystemd_version = 999999999999\n", "not modelled");
  // 256 measures .ucode after .initrd and before .uname, whatever the order of the keys.
  auto c = predict(head + "uname = \"u\"\nucode = \"c\"\nlinux = \"k\"\nsystemd_version = 256\n");
  ASSERT_EQ(c.events.size(), 6u);
  EXPECT_EQ(c.events[2].digests[0], hash(HashAlg::kSha256, std::string(".ucode\0", 7)));
  EXPECT_EQ(c.events[4].digests[0], hash(HashAlg::kSha256, std::string(".uname\0", 7)));
  expect_bad(head + "uki = \"uki.efi\"\nlinux = \"x\"\n", "do not also name");
  expect_bad(head + "uki = \"nope.efi\"\n", "nope.efi");
  write("junk.efi", std::string("MZ junk"));
  expect_bad(head + "uki = \"junk.efi\"\n", "junk.efi");
}

TEST_F(UefiStageTest, LinuxStubInitrdIsWhatTheStubHandsTheKernel) {
  const std::string head = "banks = [\"sha256\"]\n[[stage]]\ntype = \"linux-stub\"\nuki = ";
  auto initrd_digest = [&](const std::string& uki) {
    return predict(head + "\"" + uki + "\"\n").events.back().digests[0];
  };
  auto cpio = [](const char* name, const std::string& contents) {
    Bytes b = stub_literal_cpio(
        ".extra", name, {reinterpret_cast<const uint8_t*>(contents.data()), contents.size()});
    return std::string(b.begin(), b.end());
  };
  // 252: .initrd alone as it is; with .pcrpkey, padded to 4 and followed by its archive.
  write("a252.efi",
        make_pe(
            {{".sdmagic", kSdmagic252}, {".linux", "K"}, {".initrd", "abc"}, {".osrel", "ID=x"}}));
  EXPECT_EQ(initrd_digest("a252.efi"), hash(HashAlg::kSha256, "abc"));
  write("b252.efi",
        make_pe(
            {{".sdmagic", kSdmagic252}, {".linux", "K"}, {".initrd", "abc"}, {".pcrpkey", "PEM"}}));
  EXPECT_EQ(
      initrd_digest("b252.efi"),
      hash(HashAlg::kSha256, std::string("abc\0", 4) + cpio("tpm2-pcr-public-key.pem", "PEM")));
  // 257: .ucode first, every part padded to 4, .osrel passed as /.extra/os-release.
  const std::string magic257 = "#### LoaderInfo: systemd-stub 257.13-1~deb13u1 ####";
  write("c257.efi", make_pe({{".sdmagic", magic257},
                             {".linux", "K"},
                             {".ucode", "UC"},
                             {".initrd", "abc"},
                             {".osrel", "ID=x"}}));
  EXPECT_EQ(initrd_digest("c257.efi"),
            hash(HashAlg::kSha256, std::string("UC\0\0abc\0", 8) + cpio("os-release", "ID=x")));
  // A 254 stub with .pcrsig: not modelled.
  write(
      "d254.efi",
      make_pe({{".sdmagic", kSdmagic254}, {".linux", "K"}, {".initrd", "abc"}, {".pcrsig", "{}"}}));
  expect_bad(head + "\"d254.efi\"\n", "systemd-stub 254 passes with .pcrsig/.pcrpkey");
}

TEST_F(UefiStageTest, LinuxStubMeasuresLoadOptionsThenInitrd) {
  write("uki.efi",
        make_pe({{".linux", "K"}, {".cmdline", "root=/dev/sda1 quiet"}, {".initrd", "INITRD"}}));
  auto c = predict(
      "banks = [\"sha256\", \"sha1\"]\n[[stage]]\ntype = \"linux-stub\"\nuki = \"uki.efi\"\n");
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[0].pcr, 9u);
  EXPECT_EQ(c.events[0].type, ev::kEventTag);
  EXPECT_EQ(c.events[0].digests[0], hash(HashAlg::kSha256, utf16_nul("root=/dev/sda1 quiet")));
  EXPECT_EQ(c.events[0].digests[1], hash(HashAlg::kSha1, utf16_nul("root=/dev/sda1 quiet")));
  EXPECT_EQ(c.events[1].digests[0], hash(HashAlg::kSha256, "INITRD"));
  // The tagged-event payload as a real kernel logged it (event-sd-boot-fedora37.bin, event 25).
  const uint8_t initrd_tag[] = {0xec, 0x22, 0x3b, 0x8f, 0x0d, 0,   0,   0,   'L', 'i', 'n',
                                'u',  'x',  ' ',  'i',  'n',  'i', 't', 'r', 'd', 0};
  EXPECT_EQ(c.events[1].data, std::vector<uint8_t>(std::begin(initrd_tag), std::end(initrd_tag)));
  write("initrd.img", std::string("INITRD"));
  auto f = predict(
      "banks = [\"sha256\"]\n[[stage]]\ntype = \"linux-stub\"\ncmdline = \"root=/dev/sda1 "
      "quiet\"\ninitrd = \"initrd.img\"\n");
  ASSERT_EQ(f.events.size(), 2u);
  EXPECT_EQ(f.events[0].digests[0], c.events[0].digests[0]);
  EXPECT_EQ(f.events[1].digests[0], c.events[1].digests[0]);
}

TEST_F(UefiStageTest, CmdlineMatchesARealSdBootLog) {
  // event-sd-boot-fedora37.bin events 23 and 24 (PCR 12) and its final PCR 12.
  auto c = predict(
      "banks = [\"sha256\"]\n[[stage]]\ntype = \"cmdline\"\ncmdline = \" console=ttyS0 "
      "console=tty0 efi=debug \"\n[[stage]]\ntype = \"cmdline\"\ncmdline = \" console=ttyS0 "
      "console=tty0 efi=debug \"\n");
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[0].digests[0].hex(),
            "62cc3c5f754ef8711f11140d0ed199e1b36b9bdac7df0c261498f2b07d0f91eb");
  EXPECT_EQ(c.events[0].data.size(), 78u);
  EXPECT_EQ(replay(c, {HashAlg::kSha256}).get(HashAlg::kSha256, 12).hex(),
            "73b2090e3e72430531e7bc7d63e88826891ef4e04d6c1e250dc5c52db24f2f48");
  write("bad.txt", std::string("\xff"));
  expect_bad("banks = [\"sha256\"]\n[[stage]]\ntype = \"cmdline\"\ncmdline_file = \"bad.txt\"\n",
             "UTF-8");
}

TEST_F(UefiStageTest, SecureBootOffMatchesARealLog) {
  // event-sd-boot-fedora37.bin: an OVMF without a SecureBoot variable and no keys; PCR 7 and
  // the per-variable digests (events 4-8).
  auto c = predict(
      "banks = [\"sha256\"]\n[[stage]]\ntype = \"secureboot\"\nsecure_boot_variable = false\n");
  ASSERT_EQ(c.events.size(), 6u);
  const char* expect[] = {"ce9ce386b52e099f3019e512a0d6062d6b560efe4ff3e5661c7525e2f9c263df",
                          "dea7b80ab53a3daaa24d5cc46c64e1fa9ffd03739f90aadbd8c0867c4a5b4890",
                          "e670e121fcebd473b8bc41bb801301fc1d9afa33904f06f7149b74f12c47a68f",
                          "baf89a3ccace52750c5f0128351e0422a41597a1adfd50822aa363b9d124ea7c",
                          "9f75b6823bff6af1024a4e2036719cdd548d3cbc2bf1de8e7ef4d0ed01f94bf9",
                          "df3f619804a92fdb4057192dc43dd748ea778adc52bc498ce80524c014b81119"};
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(c.events[i].digests[0].hex(), expect[i]) << i;
  EXPECT_EQ(c.events[0].data.size(), 52u);
  EXPECT_EQ(replay(c, {HashAlg::kSha256}).get(HashAlg::kSha256, 7).hex(),
            "b5710bf57d25623e4019027da116821fa99f5c81e9e38b87671cc574f9281439");
  // With the variable present (value 0), its data is one byte more.
  auto p = predict("banks = [\"sha256\"]\n[[stage]]\ntype = \"secureboot\"\n");
  EXPECT_EQ(p.events[0].data.size(), 53u);
  // Secure Boot on: the variable's one byte of data is 01.
  auto on = predict("banks = [\"sha256\"]\n[[stage]]\ntype = \"secureboot\"\nsecure_boot = true\n");
  ASSERT_EQ(on.events[0].data.size(), 53u);
  EXPECT_EQ(on.events[0].data[52], 1);
  expect_bad("banks = [\"sha256\"]\n[[stage]]\ntype = \"secureboot\"\nauthorities = [\"x.efi\"]\n",
             "needs secure_boot = true");
}

TEST_F(UefiStageTest, UefiAppFixedEventsAndImages) {
  write("app.efi", make_pe({{".text", "code"}}));
  auto c = predict(
      "banks = [\"sha256\"]\n[[stage]]\ntype = \"uefi-app\"\nready_to_boot = true\n"
      "images = [\"app.efi\"]\nexit_boot_services = true\n");
  ASSERT_EQ(c.events.size(), 1u + 7u + 1u + 2u);
  // The action strings' digests as published (pcrlock.d, fedora37 log).
  EXPECT_EQ(c.events[0].pcr, 4u);
  EXPECT_EQ(c.events[0].digests[0].hex().substr(0, 8), "3d6772b4");
  for (unsigned i = 0; i <= 6; ++i) {
    EXPECT_EQ(c.events[1 + i].pcr, i);
    EXPECT_EQ(c.events[1 + i].type, ev::kSeparator);
  }
  EXPECT_EQ(c.events[8].type, ev::kEfiBootServicesApplication);
  EXPECT_EQ(c.events[9].digests[0].hex(),
            "d8043d6b7b85ad358eb3b6ae6a873ab7ef23a26352c5dc4faa5aeedacf5eb41b");
  EXPECT_EQ(c.events[10].digests[0].hex(),
            "b54f7542cbd872a81a9d9dea839b2b8d747c7ebd5ea6615c40f42f44a6dbeba0");
  // An image embedded as a section hashes like the same image as a file.
  auto inner = make_pe({{".text", "kernel"}});
  write("kernel.efi", inner);
  write("uki.efi", make_pe({{".linux", std::string(inner.begin(), inner.end())}}));
  auto a =
      predict("banks = [\"sha256\"]\n[[stage]]\ntype = \"uefi-app\"\nimages = [\"kernel.efi\"]\n");
  auto b = predict(
      "banks = [\"sha256\"]\n[[stage]]\ntype = \"uefi-app\"\nimages = [\"uki.efi#.linux\"]\n");
  EXPECT_EQ(a.events[0].digests[0], b.events[0].digests[0]);
  expect_bad("banks = [\"sha256\"]\n[[stage]]\ntype = \"uefi-app\"\nimages = [\"uki.efi#.nope\"]\n",
             "no section '.nope'");
  expect_bad("banks = [\"sha256\"]\n[[stage]]\ntype = \"uefi-app\"\n", "measures nothing");
}

}  // namespace
}  // namespace integral
