#include "integral/eventlog/digest_check.h"

#include <gtest/gtest.h>

#include <string>

#include "integral/chain/event_type.h"
#include "integral/eventlog/quirks.h"

namespace integral {
namespace {

constexpr uint32_t kAuthority = 0x800000E0;

std::vector<uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

// An event as firmware would log it, its digests computed over `covered` by the test.
Event event(unsigned pcr, uint32_t type, std::vector<uint8_t> data,
            const std::vector<uint8_t>& covered) {
  Event e;
  e.pcr = pcr;
  e.type = type;
  e.data = std::move(data);
  for (HashAlg alg : {HashAlg::kSha1, HashAlg::kSha256}) e.digests.push_back(hash(alg, covered));
  return e;
}

// A log whose one odd event only the quirk explains: without it the check fails (2 digests,
// one per bank), with it the check passes and names the quirk.
void only_with(const char* quirk, Event odd) {
  SCOPED_TRACE(quirk);
  EXPECT_TRUE(is_quirk(quirk));
  Chain c;
  c.events.push_back(event(7, ev::kSeparator, {0, 0, 0, 0}, {0, 0, 0, 0}));
  c.events.push_back(std::move(odd));
  DigestCheckReport plain = check_event_digests(c, {});
  EXPECT_EQ(plain.checked, 4u);
  ASSERT_EQ(plain.mismatches.size(), 2u);
  EXPECT_EQ(plain.mismatches[0].index, 1u);
  DigestCheckReport with = check_event_digests(c, {quirk});
  EXPECT_TRUE(with.ok());
  EXPECT_EQ(with.by_quirk.size(), 2u);
  EXPECT_EQ(with.quirks_needed(), std::vector<std::string>{quirk});
  // Another quirk does not help.
  EXPECT_FALSE(check_event_digests(c, {"missing-ebs"}).ok());
}

TEST(DigestCheck, ShimAuthorityOverSizeMinusOne) {
  auto data = bytes("UEFI_VARIABLE_DATA of MokListRT: the Shim vendor certificate");
  std::vector<uint8_t> covered(data.begin(), data.end() - 1);
  only_with("shim-authority-size", event(7, kAuthority, data, covered));
}

TEST(DigestCheck, RedHatGrubHashesTheNul) {
  only_with("grub-nul", event(8, ev::kIpl, bytes(std::string_view("grub_cmd set pager=1\0", 21)),
                              bytes(std::string_view("set pager=1\0", 12))));
  // Upstream grub: "grub_cmd: X" with digest H(X) verifies without any quirk.
  Chain c;
  c.events.push_back(event(8, ev::kIpl, bytes(std::string_view("grub_cmd: set pager=1\0", 22)),
                           bytes("set pager=1")));
  EXPECT_TRUE(check_event_digests(c, {}).ok());
}

// Red Hat's kernel command line is hashed without its NUL (rhel8-uefi.bin's event 78): it
// verifies with no quirk, and is checked (a digest over the NUL is caught).
TEST(DigestCheck, RedHatKernelCmdlineWithoutTheNul) {
  const auto data = bytes(std::string_view("grub_kernel_cmdline (hd0,gpt2)/vmlinuz ro\0", 42));
  Chain c;
  c.events.push_back(event(8, ev::kIpl, data, bytes("(hd0,gpt2)/vmlinuz ro")));
  EXPECT_TRUE(check_event_digests(c, {}).ok());
  c.events[0] = event(8, ev::kIpl, data, bytes(std::string_view("(hd0,gpt2)/vmlinuz ro\0", 22)));
  EXPECT_FALSE(check_event_digests(c, {"grub-nul"}).ok());
}

TEST(DigestCheck, WindowsWbclSeparator) {
  Event wbcl = event(13, ev::kSeparator, bytes("WBCL"), bytes("WBCL"));
  // SHA-1 of "WBCL" as a real Windows log carries it (windows_gcp_shielded_vm.json).
  EXPECT_EQ(wbcl.digests[0].hex(), "9d7f499388daa8e7d7f1e399616e39e5891d399d");
  only_with("wbcl-separator", wbcl);
  // Only in PCRs 12-14, where Windows Boot Manager puts it.
  Chain c;
  c.events.push_back(event(7, ev::kSeparator, bytes("WBCL"), bytes("WBCL")));
  EXPECT_FALSE(check_event_digests(c, {"wbcl-separator"}).ok());
}

TEST(DigestCheck, StandardRulesAndUncheckableEvents) {
  Chain c;
  c.events.push_back(event(4, ev::kEfiAction, bytes("Calling EFI Application from Boot Option"),
                           bytes("Calling EFI Application from Boot Option")));
  c.events.push_back(event(0, ev::kSeparator, {0xFF, 0xFF, 0xFF, 0xFF}, {0xFF, 0xFF, 0xFF, 0xFF}));
  // A PE image's digest is its Authenticode hash: not checkable from the log.
  c.events.push_back(event(4, ev::kEfiBootServicesApplication, bytes("x"), bytes("y")));
  DigestCheckReport r = check_event_digests(c, {});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.checked, 4u);
  // A changed action string is caught.
  c.events[0].data.back() = 'X';
  r = check_event_digests(c, {"grub-nul", "shim-authority-size", "wbcl-separator"});
  ASSERT_EQ(r.mismatches.size(), 2u);
  EXPECT_EQ(r.mismatches[0].rule, "H(event data)");
}

}  // namespace
}  // namespace integral
