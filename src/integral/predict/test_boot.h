// Unit-test helper for the prediction tests: a scratch directory for a boot description's
// artifacts, the prediction of a description written in the test, and its refusal.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "integral/predict/boot_description.h"
#include "integral/predict/prediction.h"
#include "integral/util/error.h"

namespace integral::testing_support {

class BootTest : public ::testing::Test {
 protected:
  // `name` tells the tests' directories apart (one per test process and fixture).
  explicit BootTest(const std::string& name)
      : dir_(std::filesystem::temp_directory_path() /
             ("integral-" + name + "-" + std::to_string(::getpid()))) {}
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The prediction of `toml`, read as "boot.toml" in the scratch directory.
  Prediction predict_boot(const std::string& toml) {
    auto boot = parse_boot_description(toml, "boot.toml", dir_);
    Prediction p;
    p.banks = boot.banks;
    p.chain = predict_chain(boot);
    return p;
  }

  // Fails unless `toml` is refused as bad input; the message, to check further.
  std::string refusal(const std::string& toml) {
    try {
      predict_boot(toml);
      ADD_FAILURE() << "accepted: " << toml;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadInput);
      return e.what();
    }
    return "";
  }

  std::filesystem::path dir_;
};

}  // namespace integral::testing_support
