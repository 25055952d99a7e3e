// Text helpers: trimming, and untrusted text (event strings, variable and file names, anything
// read from an input) on its way out: one rule for terminals, one for JSON/YAML strings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace integral {

// Without leading and trailing white space (std::isspace in the C locale).
std::string_view trim(std::string_view s);

// The words of `s` separated by runs of white space (std::isspace in the C locale).
std::vector<std::string> split_words(std::string_view s);

// Walks a text line by line: '\n'-separated, a last line without '\n' included, nothing else
// stripped (a '\r' stays). No copies: the lines are views of the text.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  // The next line (without its '\n') and where it starts in the text; false after the last.
  bool next(std::string_view& line, size_t& offset);

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// For people: every control character is shown as an escape, so text read from an input can
// never move the cursor, clear a line or start a line of its own. \t \n \r are written as
// such; other C0 bytes and DEL as \xHH; C1 controls (U+0080-U+009F) and the bidirectional
// formatting characters (U+200E/F, U+202A-U+202E, U+2066-U+2069) as \uHHHH; every byte that
// is not part of valid UTF-8 as \xHH. Printable UTF-8 (and a backslash) is kept as it is, so
// the result is for reading, not for decoding back.
std::string escape_terminal(std::string_view text);

// True once escape_terminal changed anything in this process (the CLI then says so once).
bool terminal_text_was_escaped();

// For JSON and YAML strings, which must be UTF-8: valid UTF-8 (control characters included;
// the writers escape those their own way) is kept, and each byte that is not part of valid
// UTF-8 becomes the four characters \xHH (lower-case hex), the form escape_terminal shows.
std::string json_safe(std::string_view text);

bool is_valid_utf8(std::string_view text);

// Length of the well-formed UTF-8 sequence starting at text[pos] (1-4) with its code point,
// or 0 when the byte there does not start one (RFC 3629: no overlong forms, surrogates or
// values above U+10FFFF).
size_t utf8_sequence(std::string_view text, size_t pos, char32_t& code_point);

}  // namespace integral
