#include "integral/reference/uki_assembly.h"

#include <gtest/gtest.h>

namespace integral {
namespace {

constexpr char kHeader[] =
    "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md";

TEST(UkiAssembly, MergedSbatHasOneHeaderThenEveryEntryAndANul) {
  const std::string stub = std::string(kHeader) + "\nsystemd-stub,1,The systemd Developers\n";
  const std::string kernel = std::string(kHeader) + "\r\nlinux,1,Linux\r\n";
  const std::string extra = std::string(kHeader) + "\nuki,1,UKI";
  EXPECT_EQ(merge_sbat({stub, kernel, "not sbat data\n", ""}, {extra}),
            std::string(kHeader) +
                "\nsystemd-stub,1,The systemd Developers\nlinux,1,Linux\nuki,1,UKI\n" +
                std::string(1, '\0'));
}

TEST(UkiAssembly, MergedPcrsigIsPythonJsonWithEachSignatureOnce) {
  // Two systemd-measure outputs sharing one signature, as ukify combines them.
  const std::string a = R"({"sha1":[{"pcrs":[11],"pkfp":"aa","pol":"01","sig":"A="}],)"
                        R"("sha256":[{"pcrs":[11],"pkfp":"aa","pol":"02","sig":"B="}]})";
  const std::string b = R"({"sha256":[{"pcrs":[11],"pkfp":"aa","pol":"02","sig":"B="},)"
                        R"({"pcrs":[4,11],"pkfp":"bb","pol":"03","sig":"C/+="}]})";
  EXPECT_EQ(merge_pcrsigs({a, b}),
            R"({"sha1": [{"pcrs": [11], "pkfp": "aa", "pol": "01", "sig": "A="}], )"
            R"("sha256": [{"pcrs": [11], "pkfp": "aa", "pol": "02", "sig": "B="}, )"
            R"({"pcrs": [4, 11], "pkfp": "bb", "pol": "03", "sig": "C/+="}]})");
}

}  // namespace
}  // namespace integral
