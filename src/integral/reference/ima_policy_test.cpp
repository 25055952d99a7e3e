#include "integral/reference/ima_policy.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integral/eventlog/ima_log.h"
#include "integral/util/error.h"

namespace integral {
namespace {

std::string hex_of(const std::string& content) {
  return hash(HashAlg::kSha256, content).hex();
}

// One ASCII ima-ng line; the template hash is not checked by the policy, only its layout.
std::string line(const std::string& name, const std::string& content) {
  return "10 " + std::string(40, '1') + " ima-ng sha256:" + hex_of(content) + " " + name + "\n";
}

TEST(ImaPolicy, KeylimeLayoutUnderTheMountPoint) {
  const auto j = nlohmann::json::parse(
      keylime_runtime_policy({{"/etc/motd", hash(HashAlg::kSha256, "hi")}}, "/mnt/root/"));
  EXPECT_EQ(j["meta"]["version"], 1);
  EXPECT_EQ(j["digests"]["/mnt/root/etc/motd"], nlohmann::json::array({hex_of("hi")}));
  EXPECT_TRUE(j["ima"]["dm_policy"].is_null());
  EXPECT_EQ(j["verification-keys"], "");
}

TEST(ImaPolicy, NamesChangedUnknownAndExcludedFiles) {
  const std::string policy = keylime_runtime_policy(
      {{"/etc/motd", hash(HashAlg::kSha256, "hi")}, {"/bin/sh", hash(HashAlg::kSha256, "sh")}});
  const std::string list = line("boot_aggregate", "x") + line("/etc/motd", "hi") +
                           line("/bin/sh", "changed") + line("/tmp/x", "x");
  ImaReader r(std::span(reinterpret_cast<const uint8_t*>(list.data()), list.size()), "list");
  const ImaPolicyCheck c = check_ima_policy(r, policy, "policy.json");
  EXPECT_EQ(c.files, 3u);
  ASSERT_EQ(c.findings.size(), 2u);
  EXPECT_EQ(c.findings[0].name, "/bin/sh");
  EXPECT_EQ(c.findings[0].problem, "content differs from the policy");
  EXPECT_EQ(c.findings[1].name, "/tmp/x");
  EXPECT_EQ(c.findings[1].problem, "not in the policy");

  auto j = nlohmann::json::parse(policy);
  j["excludes"] = {"/tmp/", "/bin/s"};
  ImaReader again(std::span(reinterpret_cast<const uint8_t*>(list.data()), list.size()), "list");
  EXPECT_TRUE(check_ima_policy(again, j.dump(), "policy.json").ok());
}

// A pattern on which a backtracking matcher takes time exponential in the name (std::regex
// did, under fuzz_ima_policy) is matched in linear time: this returns at once.
TEST(ImaPolicy, HostileExcludeMatchesInLinearTime) {
  const std::string name = "/" + std::string(5000, 'a');
  const std::string list = line(name, "x");
  ImaReader r(std::span(reinterpret_cast<const uint8_t*>(list.data()), list.size()), "list");
  const std::string policy = R"({"digests": {}, "excludes": ["/(a*)*b", "/(a|aa)+$"]})";
  const ImaPolicyCheck c = check_ima_policy(r, policy, "p.json");
  EXPECT_EQ(c.files, 0u);  // the second exclude matches: excluded
}

TEST(ImaPolicy, RefusesWhatIsNotAPolicyNamingIt) {
  const std::string list = line("/etc/motd", "hi");
  for (const char* bad :
       {"[]", R"({"digests": []})", R"({"digests": {"/a": "x"}})",
        R"({"digests": {}, "excludes": ["("]})", R"({"digests": {}, "excludes": ["(a)\\1"]})"}) {
    ImaReader r(std::span(reinterpret_cast<const uint8_t*>(list.data()), list.size()), "list");
    try {
      check_ima_policy(r, bad, "p.json");
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadInput);
      EXPECT_NE(std::string(e.what()).find("p.json"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace integral
