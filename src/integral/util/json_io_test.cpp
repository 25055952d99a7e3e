#include "integral/util/json_io.h"

#include <gtest/gtest.h>

#include "integral/util/error.h"

namespace integral {
namespace {

// The Error parse_json_input throws for `text`; fails the test when it does not throw.
Error error_of(std::string_view text, bool trailing_allowed = false) {
  try {
    (void)parse_json_input(text, "in.json", trailing_allowed);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << text;
  return Error(ExitCode::kOk, "");
}

// Unsigned fields: only a JSON unsigned integer within the bound; a float out of any integer's
// range (which nlohmann's get<> would cast with undefined behaviour), a negative number or a
// string is "not one".
TEST(JsonInput, UnsignedFieldsTakeOnlyUnsignedIntegers) {
  const auto j =
      parse_json_input(R"({"a": 5, "b": 22e38, "c": -1, "d": "5", "e": 1.0, "f": 300})", "in.json");
  EXPECT_EQ(json_unsigned(j["a"]), 5u);
  EXPECT_EQ(json_unsigned(j["b"]), std::nullopt);
  EXPECT_EQ(json_unsigned(j["c"]), std::nullopt);
  EXPECT_EQ(json_unsigned(j["d"]), std::nullopt);
  EXPECT_EQ(json_unsigned(j["e"]), std::nullopt);
  EXPECT_EQ(json_unsigned(j["f"], 255), std::nullopt);
  EXPECT_EQ(json_unsigned(j["f"], 300), 300u);
}

TEST(JsonInput, StringFieldsTakeOnlyStrings) {
  const auto j = nlohmann::json::parse(R"({"s": "x", "o": {"s": "y"}, "n": 1})");
  EXPECT_EQ(json_string(j, "s"), "x");
  EXPECT_EQ(json_string(j, "o"), std::nullopt);
  EXPECT_EQ(json_string(j, "n"), std::nullopt);
  EXPECT_EQ(json_string(j, "missing"), std::nullopt);
  EXPECT_EQ(json_string(j["n"], "s"), std::nullopt);
}

TEST(JsonInput, NumberOverflowIsBadInputWithItsOffset) {
  // nlohmann throws out_of_range 406 ("number overflow parsing '8e888'") from its DOM parser.
  const Error e = error_of(R"({"a": [1, 8e888]})");
  EXPECT_EQ(e.code(), ExitCode::kBadInput);
  EXPECT_EQ(e.file(), "in.json");
  ASSERT_TRUE(e.offset().has_value());
  // The number spans bytes 10-14; the lexer reports it once it has read past it.
  EXPECT_GE(*e.offset(), 10u);
  EXPECT_LE(*e.offset(), 15u);
  EXPECT_NE(e.message().find("8e888"), std::string::npos) << e.message();
}

TEST(JsonInput, SyntaxErrorsNameTheOffendingByte) {
  // '}' at byte 6 where a value belongs.
  const Error e = error_of(R"({"a": })");
  EXPECT_EQ(e.code(), ExitCode::kBadInput);
  EXPECT_EQ(e.offset(), 6u);
  // Bytes that are not UTF-8 inside a string: byte 2.
  EXPECT_EQ(error_of("[\"\xff\"]").offset(), 2u);
  EXPECT_EQ(error_of("").code(), ExitCode::kBadInput);
  EXPECT_EQ(error_of("[1] x").code(), ExitCode::kBadInput);
}

TEST(JsonInput, TrailingTextOnlyWhenAllowed) {
  EXPECT_EQ(parse_json_input("[1, 2] and a footer", "in.json", true),
            nlohmann::json::parse("[1, 2]"));
  EXPECT_EQ(error_of("[1, 8e888] footer", true).code(), ExitCode::kBadInput);
}

TEST(JsonInput, DeepNestingIsRefused) {
  const std::string deep(kMaxJsonDepth + 1, '[');
  const Error e = error_of(deep + std::string(kMaxJsonDepth + 1, ']'));
  EXPECT_EQ(e.code(), ExitCode::kBadInput);
  const std::string ok(kMaxJsonDepth, '[');
  EXPECT_NO_THROW((void)parse_json_input(ok + std::string(kMaxJsonDepth, ']'), "in.json"));
}

TEST(JsonOutput, InvalidUtf8InStringsAndKeysIsWrittenAsHexText) {
  nlohmann::ordered_json j;
  j["ok"] = "caf\xc3\xa9";
  j["bad"] = {"\xff", 1};
  j["key\xfe"] = "x";
  EXPECT_THROW((void)j.dump(), nlohmann::json::type_error);
  EXPECT_EQ(dump_json(j), R"({"ok":"café","bad":["\\xff",1],"key\\xfe":"x"})");
  nlohmann::json plain = {{"a", "\x1b"}};
  EXPECT_EQ(dump_json(plain), plain.dump());
}

}  // namespace
}  // namespace integral
