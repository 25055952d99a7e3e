#include "integral/util/progress.h"

#include <gtest/gtest.h>

namespace integral {
namespace {

TEST(Progress, SilentUnlessEnabledAndDrawsWhenForced) {
  Progress::set_enabled_for_testing(0);
  {
    Progress p("x", 10);
    EXPECT_FALSE(p.active());
    testing::internal::CaptureStderr();
    p.advance(10);
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  }
  Progress::set_enabled_for_testing(1);
  testing::internal::CaptureStderr();
  {
    Progress p("hashing", 4 << 20);
    p.advance(4 << 20);  // completion always draws
  }
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("hashing 100.0%  4 MiB"), std::string::npos) << out;
  EXPECT_NE(out.rfind("\r\033[K"), std::string::npos);
  Progress::set_enabled_for_testing(-1);
}

}  // namespace
}  // namespace integral
