#include "integral/util/text.h"

#include <atomic>
#include <cctype>

namespace integral {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> words;
  for (s = trim(s); !s.empty(); s = trim(s)) {
    size_t end = 0;
    while (end < s.size() && !std::isspace(static_cast<unsigned char>(s[end]))) ++end;
    words.emplace_back(s.substr(0, end));
    s.remove_prefix(end);
  }
  return words;
}

bool LineReader::next(std::string_view& line, size_t& offset) {
  if (pos_ >= text_.size()) return false;
  size_t eol = text_.find('\n', pos_);
  if (eol == std::string_view::npos) eol = text_.size();
  line = text_.substr(pos_, eol - pos_);
  offset = pos_;
  pos_ = eol + 1;
  return true;
}

namespace {

std::atomic<bool> g_escaped{false};

constexpr char kHex[] = "0123456789abcdef";

void append_byte_escape(std::string& out, unsigned char c) {
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}

bool shown_escaped(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

size_t utf8_sequence(std::string_view s, size_t pos, char32_t& cp) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[pos + i]); };
  const unsigned char c = b(0);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  size_t n;
  char32_t min;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
    min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
    min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - pos < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

std::string escape_terminal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool changed = false;
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const size_t n = utf8_sequence(s, i, cp);
    if (n == 0) {
      append_byte_escape(out, static_cast<unsigned char>(s[i]));
      changed = true;
      ++i;
      continue;
    }
    if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x20 || cp == 0x7f) {
      append_byte_escape(out, static_cast<unsigned char>(cp));
    } else if (shown_escaped(cp)) {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xf];
    } else {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    changed = true;
    i += n;
  }
  if (changed) g_escaped.store(true, std::memory_order_relaxed);
  return out;
}

bool terminal_text_was_escaped() {
  return g_escaped.load(std::memory_order_relaxed);
}

std::string json_safe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const size_t n = utf8_sequence(s, i, cp);
    if (n == 0) {
      append_byte_escape(out, static_cast<unsigned char>(s[i]));
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const size_t n = utf8_sequence(s, i, cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace integral
