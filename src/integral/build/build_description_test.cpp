#include "integral/build/build_description.h"

#include <gtest/gtest.h>

#include "integral/util/error.h"

namespace integral::build {
namespace {

const char* kTwoVms = R"(
[image.netvm]
tree = "netvm-root"
type = "ext3"
vhd = "dynamic"
verity = true
size = "8M"
timestamp = 1700000000
digests = ["sha384"]

[image.dom0]
tar = "/abs/dom0.tar"

[boot.netvm]
banks = ["sha1", "sha256"]
policy = "sha256:9"
[[boot.netvm.stage]]
type = "file"
pcr = 9
image = "netvm"
method = "meta-measured-tpm12"
)";

TEST(BuildDescription, ImagesAndBootsWithPathsRelativeToTheDescription) {
  auto d = parse_build_description(kTwoVms, "build.toml", "/src/xt");
  ASSERT_EQ(d.images.size(), 2u);
  EXPECT_EQ(d.images[0].name, "dom0");  // sorted by name
  EXPECT_EQ(d.images[0].spec.tar, "/abs/dom0.tar");
  const ImageEntry& n = *d.image("netvm");
  EXPECT_EQ(n.spec.tree, "/src/xt/netvm-root");
  EXPECT_EQ(n.spec.ext.kind, image::ExtKind::kExt3);
  EXPECT_EQ(n.spec.ext.size_bytes, 8u << 20);
  EXPECT_EQ(n.spec.ext.timestamp, 1700000000);
  EXPECT_EQ(n.spec.vhd, image::VhdKind::kDynamic);
  EXPECT_TRUE(n.spec.verity.has_value());
  ASSERT_EQ(d.boots.size(), 1u);
  EXPECT_EQ(d.boots[0].images, std::set<std::string>{"netvm"});
  ASSERT_TRUE(d.boots[0].policy);
  EXPECT_EQ(d.boots[0].policy->to_string(), "sha256:9");
  // sha256 always, the image's own digests, and the banks of the boot that measures it.
  EXPECT_EQ(d.image_banks("netvm"),
            (std::vector<HashAlg>{HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha1}));
  EXPECT_EQ(d.image_banks("dom0"), std::vector<HashAlg>{HashAlg::kSha256});
}

void expect_bad(const std::string& text, const std::string& needle) {
  try {
    parse_build_description(text, "build.toml", "/src");
    ADD_FAILURE() << "accepted: " << text;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    std::string what = e.what();
    EXPECT_NE(what.find("build.toml"), std::string::npos) << what;
    EXPECT_NE(what.find(needle), std::string::npos) << what;
  }
}

TEST(BuildDescription, RefusesWhatWouldBuildSomethingElse) {
  expect_bad("[image.a]\ntree = \"r\"\nsizee = \"8M\"\n", "line 3: image 'a': unknown key 'sizee'");
  expect_bad("[image.a]\ntree = \"r\"\ntar = \"r.tar\"\n", "exactly one of tree");
  expect_bad("[image.a]\n", "exactly one of tree");
  expect_bad("[image.a]\ntree = \"r\"\ntype = \"xfs\"\n", "type 'xfs'");
  expect_bad("[image.a]\ntree = \"r\"\nsize = \"8T\"\n", "size '8T'");
  expect_bad("[image.a]\ntree = \"r\"\nvhd = \"sparse\"\n", "vhd 'sparse'");
  expect_bad("[image.a]\ntree = \"r\"\nverity = \"yes\"\n", "'verity' must be true or false");
  expect_bad("[image.a]\ntree = \"r\"\nuuid = \"xyz\"\n", "uuid 'xyz' is not a UUID");
  expect_bad("[image.a]\ntree = \"r\"\ndigests = [\"md5\"]\n", "unknown bank");
  expect_bad("[image.\"../x\"]\ntree = \"r\"\n", "image name '../x'");
  expect_bad("[images.a]\ntree = \"r\"\n", "unknown key 'images'");
  expect_bad("", "nothing to build");
  expect_bad(
      "[boot.b]\nbanks = [\"sha256\"]\n[[boot.b.stage]]\ntype = \"file\"\npcr = 9\n"
      "image = \"nope\"\n",
      "line 6: boot 'b' names image 'nope', which this build does not make");
  expect_bad(
      "[boot.b]\nbanks = [\"sha256\"]\npolicy = \"sha256:99\"\n[[boot.b.stage]]\n"
      "type = \"digest\"\npcr = 9\nsha256 = \"00\"\n",
      "policy");
  // The boot's own keys are checked as a boot description's are, naming the boot.
  expect_bad("[boot.b]\nbanks = [\"sha256\"]\nbanksx = 1\n", "[boot.b]");
}

}  // namespace
}  // namespace integral::build
