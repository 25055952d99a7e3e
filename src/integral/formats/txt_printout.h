// tboot's and txt-stat's printouts (serial log, `txt-stat` output) as lines: the one place that
// cuts such a text, for the heap, event-log and launch-facts readers. Lines are trimmed and lose
// tboot's "TBOOT:" prefix; each keeps its byte offset and number for error messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "integral/util/bytes.h"

namespace integral {

struct PrintoutLine {
  std::string_view text;  // without the "TBOOT:" prefix and surrounding blanks
  uint64_t offset = 0;    // byte offset of the line's start in the text
  uint64_t number = 0;    // 1-based
};

// Every line, the last one included when the text does not end in a newline (an empty text is
// one empty line).
std::vector<PrintoutLine> printout_lines(std::string_view text);

// A printout's lines and the name of its file: the base of the readers that fail naming a line.
class PrintoutReader {
 public:
  PrintoutReader(std::string_view text, std::string file)
      : lines_(printout_lines(text)), file_(std::move(file)) {}

  // Throws Error(kBadInput) "line N: msg" at line i's offset (i past the end: the last line).
  [[noreturn]] void fail(size_t i, const std::string& msg) const;

 protected:
  std::vector<PrintoutLine> lines_;
  std::string file_;
};

// "ec d8 60 ..." -> bytes; nullopt when any token is not a two-digit hex byte.
std::optional<Bytes> hex_tokens(std::string_view s);
// True for a non-empty line of two-digit hex tokens separated by blanks.
bool is_hex_line(std::string_view s);

}  // namespace integral
