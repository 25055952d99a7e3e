#include "integral/util/text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace integral {
namespace {

using namespace std::string_literals;

// The lines and offsets below are counted by hand from the literal.
TEST(LineReader, GivesEachLineWithItsOffset) {
  LineReader lines("ab\n\nc\r\nd");
  std::vector<std::pair<std::string, size_t>> got;
  std::string_view line;
  size_t offset = 0;
  while (lines.next(line, offset)) got.emplace_back(line, offset);
  const std::vector<std::pair<std::string, size_t>> want = {
      {"ab", 0}, {"", 3}, {"c\r", 4}, {"d", 7}};
  EXPECT_EQ(got, want);
}

TEST(LineReader, AFinalNewlineEndsTheLastLineAndEmptyTextHasNone) {
  LineReader lines("x\n");
  std::string_view line;
  size_t offset = 9;
  ASSERT_TRUE(lines.next(line, offset));
  EXPECT_EQ(line, "x");
  EXPECT_EQ(offset, 0u);
  EXPECT_FALSE(lines.next(line, offset));
  LineReader none("");
  EXPECT_FALSE(none.next(line, offset));
}

TEST(SplitWords, RunsOfSpaceSeparateAndNoWordIsEmpty) {
  EXPECT_EQ(split_words("  enter-initrd \t enter-initrd:leave-initrd\n"),
            (std::vector<std::string>{"enter-initrd", "enter-initrd:leave-initrd"}));
  EXPECT_TRUE(split_words(" \t ").empty());
  EXPECT_EQ(split_words("a"), (std::vector<std::string>{"a"}));
}

TEST(EscapeTerminal, ControlCharactersAreShownEscaped) {
  EXPECT_EQ(escape_terminal("a\rb\nc\td"), "a\\rb\\nc\\td");
  EXPECT_EQ(escape_terminal("\x1b[2K\x1b]0;t\x07"), "\\x1b[2K\\x1b]0;t\\x07");
  EXPECT_EQ(escape_terminal("x\x7fy"s + '\0'), "x\\x7fy\\x00");
  // C1 controls as UTF-8 (U+009B is CSI, U+0085 NEL), bidi override U+202E.
  EXPECT_EQ(escape_terminal("\xc2\x9b"
                            "31m\xc2\x85\xe2\x80\xae"),
            "\\u009b31m\\u0085\\u202e");
}

TEST(EscapeTerminal, InvalidUtf8BytesAreShownEscaped) {
  EXPECT_EQ(escape_terminal("\xff"), "\\xff");
  EXPECT_EQ(escape_terminal("a\xc3"), "a\\xc3");                           // truncated sequence
  EXPECT_EQ(escape_terminal("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(escape_terminal("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // surrogate U+D800
  EXPECT_EQ(escape_terminal("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  // The single byte 0x9b (a C1 CSI on 8-bit terminals) is not UTF-8 either.
  EXPECT_EQ(escape_terminal("\x9b"
                            "2J"),
            "\\x9b2J");
}

TEST(EscapeTerminal, PrintableTextIsKept) {
  const std::string s =
      "\\EFI\\BOOT\\BOOTX64.EFI \"grub\" caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91";
  EXPECT_EQ(escape_terminal(s), s);
}

TEST(EscapeTerminal, RemembersThatItEscaped) {
  (void)escape_terminal("plain");
  (void)escape_terminal("line\nbreak");
  EXPECT_TRUE(terminal_text_was_escaped());
}

TEST(JsonSafe, InvalidBytesBecomeHexEscapesAndDumpNeverThrows) {
  EXPECT_EQ(json_safe("ok \xc3\xa9"), "ok \xc3\xa9");
  EXPECT_EQ(json_safe("a\xff"
                      "b\xc3"),
            "a\\xffb\\xc3");
  EXPECT_EQ(json_safe("\xe2\x82"), "\\xe2\\x82");
  // Control characters are the JSON writer's business: kept.
  EXPECT_EQ(json_safe("\r\n\x1b"), "\r\n\x1b");
  nlohmann::json j = json_safe("grub\xff\xfe\n");
  EXPECT_EQ(j.dump(), "\"grub\\\\xff\\\\xfe\\n\"");
}

// nlohmann's UTF-8 check (dump throws type_error 316 on invalid UTF-8) is an independent
// reference for is_valid_utf8 and for json_safe's output.
TEST(JsonSafe, AgreesWithNlohmannOnRandomBytes) {
  std::mt19937 rng(20261205);
  std::uniform_int_distribution<int> len(0, 12), byte(0, 255), pick(0, 3);
  const unsigned char interesting[] = {0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5};
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    for (int k = len(rng); k > 0; --k)
      s += static_cast<char>(pick(rng) == 0 ? interesting[static_cast<size_t>(byte(rng)) % 10]
                                            : byte(rng));
    bool nlohmann_ok = true;
    try {
      (void)nlohmann::json(s).dump();
    } catch (const nlohmann::json::type_error&) {
      nlohmann_ok = false;
    }
    ASSERT_EQ(is_valid_utf8(s), nlohmann_ok) << nlohmann::json(json_safe(s)).dump();
    ASSERT_NO_THROW((void)nlohmann::json(json_safe(s)).dump());
    if (nlohmann_ok) {
      ASSERT_EQ(json_safe(s), s);
    }
    const std::string t = escape_terminal(s);
    for (unsigned char c : t) ASSERT_TRUE(c >= 0x20 && c != 0x7f) << t;
  }
}

}  // namespace
}  // namespace integral
