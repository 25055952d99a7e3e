#include "integral/predict/boot_entries.h"

#include <gtest/gtest.h>

#include "integral/chain/event_type.h"
#include "integral/crypto/digest.h"
#include "integral/eventlog/event_data_text.h"
#include "integral/util/error.h"
#include "integral/util/hex.h"

namespace integral {
namespace {

TEST(BootEntries, ParsesEfibootmgrsFields) {
  const BootEntry e = parse_boot_entry("00a5:debian GNU/Linux:disk.img:12:\\EFI\\d\\a.efi", "e");
  EXPECT_EQ(e.number, 0xa5);
  EXPECT_EQ(e.label, "debian GNU/Linux");
  EXPECT_EQ(e.disk, "disk.img");
  EXPECT_EQ(e.partition, 12u);
  EXPECT_EQ(e.loader, "\\EFI\\d\\a.efi");
  for (const char* bad : {"5:x:d:1:\\a", "0005:x:d:0:\\a", "0005:x:d:1:a", "0005::d:1:\\a",
                          "0005:x:d:1", "zzzz:x:d:1:\\a"})
    EXPECT_THROW((void)parse_boot_entry(bad, "e"), Error) << bad;
}

// EFI_LOAD_OPTION by hand (UEFI 2.10 §3.1.3, §10.3.5.1, §10.3.5.4): attributes 1, path length
// 42 + 10 + 4 = 56 (HD node; File node: 4 + "\a" as 3 UTF-16 units with its NUL; End), label
// "x".
TEST(BootEntries, LoadOptionAsEfibootmgrWritesIt) {
  GptPartition p;
  p.number = 1;
  p.first_lba = 2048;
  p.last_lba = 2048 + 131072 - 1;
  for (int i = 0; i < 16; ++i) p.unique[i] = static_cast<uint8_t>(0xa0 + i);
  BootEntry e{5, "x", "disk.img", 1, "\\a"};
  const std::string want =
      "01000000"  // LOAD_OPTION_ACTIVE
      "3800"      // FilePathListLength 56
      "78000000"  // "x" + NUL, UTF-16
      "04012a00"
      "01000000"
      "0008000000000000"
      "0000020000000000"
      "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
      "0202"
      "04040a00"
      "5c0061000000"
      "7fff0400";
  EXPECT_EQ(to_hex(efi_load_option(e, p)), want);
}

Event boot_var(std::string name, std::vector<uint8_t> data) {
  Event e;
  e.pcr = 1;
  e.type = ev::kEfiVariableBoot;
  std::vector<uint8_t> d = {0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
                            0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c};
  for (int i = 0; i < 8; ++i) d.push_back(static_cast<uint8_t>(i == 0 ? name.size() : 0));
  for (int i = 0; i < 8; ++i) d.push_back(static_cast<uint8_t>(i == 0 ? data.size() : 0));
  for (char c : name) d.insert(d.end(), {static_cast<uint8_t>(c), 0});
  d.insert(d.end(), data.begin(), data.end());
  e.data = d;
  e.digests = {Digest::filled(HashAlg::kSha256, static_cast<uint8_t>(name.back()))};
  return e;
}

TEST(BootEntries, InstalledOptionsComeFirstInPlace) {
  Event before;
  before.pcr = 1;
  before.type = ev::kEfiHandoffTables;
  Event sep;
  sep.pcr = 1;
  sep.type = ev::kSeparator;
  const std::vector<Event> profile = {before, boot_var("BootOrder", {0, 0, 1, 0}),
                                      boot_var("Boot0000", {0xaa}), boot_var("Boot0001", {0xbb}),
                                      sep};
  const HashAlg banks[] = {HashAlg::kSha256};
  const auto out =
      with_boot_options(profile, {{5, {1, 2, 3}, "disk"}, {1, {4}, "disk"}}, banks, "profile.bin");
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0].type, ev::kEfiHandoffTables);
  // BootOrder 5, 1, 0: the digest covers the variable's contents only (EDK2)
  auto order = parse_uefi_variable(out[1].data);
  ASSERT_TRUE(order);
  EXPECT_EQ(order->name, "BootOrder");
  EXPECT_EQ(to_hex(order->data), "050001000000");
  const std::vector<uint8_t> order_bytes = {5, 0, 1, 0, 0, 0};
  EXPECT_EQ(*out[1].digest(HashAlg::kSha256), hash(HashAlg::kSha256, order_bytes));
  EXPECT_EQ(parse_uefi_variable(out[2].data)->name, "Boot0005");
  EXPECT_EQ(parse_uefi_variable(out[3].data)->name, "Boot0001");  // installed, replaces the log's
  EXPECT_EQ(to_hex(parse_uefi_variable(out[3].data)->data), "04");
  EXPECT_EQ(out[4].digests, profile[2].digests);  // Boot0000 copied
  EXPECT_EQ(out[5].type, ev::kSeparator);
  EXPECT_THROW((void)with_boot_options({sep}, {{5, {1}, "d"}}, banks, "p"), Error);
}

}  // namespace
}  // namespace integral
