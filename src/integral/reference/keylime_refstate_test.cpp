#include "integral/reference/keylime_refstate.h"

#include <gtest/gtest.h>

#include "integral/chain/event_type.h"
#include "integral/util/error.h"
#include "integral/util/json_io.h"

namespace integral {
namespace {

Digest d256(uint8_t fill) {
  return *Digest::from_hex(HashAlg::kSha256, std::string(64, "0123456789abcdef"[fill & 15]));
}

Event event(unsigned pcr, uint32_t type, std::string data, uint8_t fill) {
  Event e;
  e.pcr = pcr;
  e.type = type;
  e.data.assign(data.begin(), data.end());
  e.digests = {d256(fill)};
  return e;
}

// UEFI_VARIABLE_DATA of SecureBoot = 01 (EFI_GLOBAL_VARIABLE), by hand.
std::string secure_boot_on() {
  std::string d =
      std::string("\x61\xdf\xe4\x8b\xca\x93\xd2\x11\xaa\x0d\x00\xe0\x98\x03\x2b\x8c", 16);
  d += std::string("\x0a\0\0\0\0\0\0\0", 8) + std::string("\x01\0\0\0\0\0\0\0", 8);
  for (char c : std::string("SecureBoot")) d += std::string{c, '\0'};
  return d + '\x01';
}

Prediction shim_grub_boot(int kernels) {
  Prediction p;
  p.source = "boot.toml";
  p.banks = {HashAlg::kSha256};
  auto& ev = p.chain.events;
  ev.push_back(event(0, ev::kSCrtmVersion, std::string("\0\0", 2), 1));
  ev.push_back(event(0, ev::kEfiPlatformFirmwareBlob, "", 2));
  ev.push_back(event(7, ev::kEfiVariableDriverConfig, secure_boot_on(), 3));
  ev.push_back(event(4, ev::kEfiBootServicesApplication, "", 4));  // shim
  ev.push_back(event(14, ev::kIpl, std::string("MokList\0", 8), 5));
  ev.push_back(event(14, ev::kIpl, std::string("MokListX\0", 9), 6));
  ev.push_back(event(4, ev::kEfiBootServicesApplication, "", 7));  // grub
  ev.push_back(event(9, ev::kIpl, std::string("/vmlinuz\0", 9), 8));
  for (int i = 0; i < kernels; ++i) ev.push_back(event(4, ev::kEfiBootServicesApplication, "", 9));
  ev.push_back(event(8, ev::kIpl, std::string("kernel_cmdline: /vmlinuz a=1.2 b-c (x)\0", 39), 10));
  ev.push_back(event(9, ev::kIpl, std::string("/initrd.img\0", 12), 11));
  return p;
}

// The expected values follow keylime's rules by hand: apps in order (shim, grub, kernel), the
// first PCR 9 name holding "initrd", the command line after "kernel_cmdline: " with Python's
// re.escape applied (' ', '.', '-', '(', ')' escaped; '=' and '/' not).
TEST(KeylimeRefstate, TakesKeylimesFieldsFromThePrediction) {
  const auto j = parse_ordered_json_input(keylime_mb_refstate(shim_grub_boot(2)), "out");
  EXPECT_EQ(j["has_secureboot"], true);
  EXPECT_EQ(j["scrtm_and_bios"][0]["scrtm"]["sha256"], "0x" + std::string(64, '1'));
  EXPECT_EQ(j["scrtm_and_bios"][0]["platform_firmware"][0]["sha256"], "0x" + std::string(64, '2'));
  EXPECT_EQ(j["mokdig"][0]["sha256"], "0x" + std::string(64, '5'));
  EXPECT_EQ(j["mokxdig"][0]["sha256"], "0x" + std::string(64, '6'));
  const auto& k = j["kernels"][0];
  EXPECT_EQ(k["shim_authcode_sha256"], "0x" + std::string(64, '4'));
  EXPECT_EQ(k["grub_authcode_sha256"], "0x" + std::string(64, '7'));
  EXPECT_EQ(k["kernel_authcode_sha256"], "0x" + std::string(64, '9'));
  EXPECT_EQ(k["initrd_plain_sha256"], "0x" + std::string(64, 'b'));
  EXPECT_EQ(k["kernel_cmdline"], "/vmlinuz\\ a=1\\.2\\ b\\-c\\ \\(x\\)");
  EXPECT_FALSE(k.contains("vmlinuz_plain_sha256"));  // only without Secure Boot
  // keylime's key order (json.dumps keeps insertion order)
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"has_secureboot", "scrtm_and_bios", "pk", "kek", "db",
                                            "dbx", "vendor_db", "mokdig", "mokxdig", "kernels"}));
}

TEST(KeylimeRefstate, RefusesABootKeylimesPolicyDoesNotDescribe) {
  EXPECT_THROW((void)keylime_mb_refstate(shim_grub_boot(0)), Error);  // a UKI: two applications
  Prediction p = shim_grub_boot(1);
  p.banks = {HashAlg::kSha1};
  EXPECT_THROW((void)keylime_mb_refstate(p), Error);
}

}  // namespace
}  // namespace integral
