#include "integral/reference/pcrlock.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integral/chain/event_type.h"
#include "integral/util/error.h"

namespace integral {
namespace {

Event ev(unsigned pcr, const std::string& artifact, const std::string& rule,
         const std::string& what) {
  Event e;
  e.pcr = pcr;
  e.type = ev::kIpl;
  // sha256 before sha1 on purpose: records list banks in TPM order
  e.digests = {hash(HashAlg::kSha256, what), hash(HashAlg::kSha1, what)};
  e.provenance = {artifact, rule, std::nullopt};
  return e;
}

TEST(Pcrlock, OneComponentPerArtifactRunUkiSectionsTogether) {
  Prediction p;
  p.banks = {HashAlg::kSha1, HashAlg::kSha256};
  p.chain.events = {ev(4, "uki.efi", "uefi-app/authenticode", "a"),
                    ev(11, "uki.efi#.linux", "uki/systemd-257/name", "b"),
                    ev(11, "uki.efi#.osrel", "uki/systemd-257/section", "c"),
                    ev(9, "uki.efi#.cmdline", "linux-stub/load-options", "d"),
                    ev(9, "uki.efi#.initrd", "linux-stub/initrd", "e"),
                    ev(17, "sinit.bin", "sinit/x", "f")};
  Event no_action = ev(0, "log", "profile/x", "g");
  no_action.type = ev::kNoAction;
  p.chain.events.push_back(no_action);
  size_t skipped = 0;
  const auto cs = pcrlock_components(p, skipped, 800);
  EXPECT_EQ(skipped, 1u);  // PCR 17; the EV_NO_ACTION is not an extend at all
  ASSERT_EQ(cs.size(), 4u);
  EXPECT_EQ(cs[0].name, "800-integral-1-uefi-app-uki.efi.pcrlock");
  EXPECT_EQ(cs[1].name, "801-integral-2-uki-uki.efi.pcrlock");
  EXPECT_EQ(cs[2].name, "802-integral-3-linux-stub-uki.efi_.cmdline.pcrlock");
  EXPECT_EQ(cs[3].name, "803-integral-4-linux-stub-uki.efi_.initrd.pcrlock");
  EXPECT_EQ(cs[1].records, 2u);
  // The layout pcrlock writes: short JSON, records of {pcr, digests[{hashAlg, digest}]}.
  EXPECT_EQ(cs[0].text,
            "{\"records\":[{\"pcr\":4,\"digests\":[{\"hashAlg\":\"sha1\",\"digest\":\"" +
                hash(HashAlg::kSha1, "a").hex() + "\"},{\"hashAlg\":\"sha256\",\"digest\":\"" +
                hash(HashAlg::kSha256, "a").hex() + "\"}]}]}\n");
  EXPECT_THROW(pcrlock_components(p, skipped, 997), Error);  // 997..1000 would pass 999
}

// GRUB's events for one boot (each command naming its own grub.cfg line, the files it reads,
// the kernel shim verifies for it) are one component, between shim's and the firmware's.
TEST(Pcrlock, GrubsMeasurementsAreOneComponent) {
  Prediction p;
  p.banks = {HashAlg::kSha1, HashAlg::kSha256};
  p.chain.events = {ev(4, "grubx64.efi", "shim/authenticode", "a"),
                    ev(8, "grub.cfg:1", "grub/command", "b"),
                    ev(9, "esp/vmlinuz", "grub/file", "c"),
                    ev(4, "esp/vmlinuz", "grub/shim-lock-authenticode", "d"),
                    ev(8, "grub.cfg:7", "grub/kernel-cmdline", "e"),
                    ev(5, "disk.img", "uefi/gpt", "f")};
  size_t skipped = 0;
  const auto cs = pcrlock_components(p, skipped, 100);
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs[1].name, "101-integral-2-grub-boot.pcrlock");
  EXPECT_EQ(cs[1].records, 4u);
}

}  // namespace
}  // namespace integral
