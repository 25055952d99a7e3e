#include "integral/formats/txt_printout.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "integral/util/error.h"
#include "integral/util/hex.h"
#include "integral/util/text.h"

namespace integral {

std::vector<PrintoutLine> printout_lines(std::string_view text) {
  std::vector<PrintoutLine> out;
  uint64_t off = 0, n = 1;
  while (off <= text.size()) {
    size_t end = text.find('\n', off);
    if (end == std::string_view::npos) end = text.size();
    auto l = trim(text.substr(off, end - off));
    if (l.starts_with("TBOOT:")) l = trim(l.substr(6));
    out.push_back({l, off, n});
    if (end == text.size()) break;
    off = end + 1;
    ++n;
  }
  return out;
}

void PrintoutReader::fail(size_t i, const std::string& msg) const {
  const auto& l = lines_[std::min(i, lines_.size() - 1)];
  throw_bad_input(fmt::format("line {}: {}", l.number, msg), file_, l.offset);
}

std::optional<Bytes> hex_tokens(std::string_view s) {
  Bytes out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) break;
    size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    auto tok = s.substr(i, j - i);
    if (tok.size() != 2) return std::nullopt;
    auto b = from_hex(tok);
    if (!b || b->size() != 1) return std::nullopt;  // from_hex takes "0x" as an empty prefix
    out.push_back((*b)[0]);
    i = j;
  }
  return out;
}

bool is_hex_line(std::string_view s) {
  if (s.empty()) return false;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) break;
    if (i + 2 > s.size() || !std::isxdigit(static_cast<unsigned char>(s[i])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        (i + 2 < s.size() && s[i + 2] != ' '))
      return false;
    i += 2;
  }
  return true;
}

}  // namespace integral
