#include "integral/poll/ini.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "integral/util/error.h"
#include "integral/util/text.h"

namespace integral::poll {

namespace {
std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}
// ConfigParser strips ';' comments only when whitespace precedes them.
std::string_view strip_inline_comment(std::string_view v) {
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] == ';' && std::isspace(static_cast<unsigned char>(v[i - 1]))) return v.substr(0, i);
  return v;
}
}  // namespace

IniFile IniFile::parse(std::string_view text, const std::string& file) {
  IniFile ini;
  ini.file_ = file;
  std::string section;  // empty: before any header
  std::string last_key;
  LineReader lines(text);
  std::string_view line;
  size_t line_off = 0;
  while (lines.next(line, line_off)) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';' ||
        (lower(line.substr(0, std::min<size_t>(3, line.size()))) == "rem" && line.size() > 3 &&
         std::isspace(static_cast<unsigned char>(line[3])))) {
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(line[0])) && !last_key.empty()) {
      auto& v = ini.data_[section][last_key];
      v += '\n';
      v += trim(strip_inline_comment(t));
      continue;
    }
    if (t[0] == '[') {
      auto close = t.find(']');
      if (close == std::string_view::npos || close == 1)
        throw_bad_input("malformed section header", file, line_off);
      section = std::string(t.substr(1, close - 1));
      if (section != "DEFAULT" && !ini.data_.count(section)) ini.order_.push_back(section);
      if (section != "DEFAULT" && ini.offsets_.count(section))
        throw_bad_input(fmt::format("section [{}] appears twice", section), file, line_off);
      ini.offsets_[section] = line_off;
      ini.data_[section];
      last_key.clear();
      continue;
    }
    if (section.empty()) throw_bad_input("a key before any [section]", file, line_off);
    auto sep = t.find_first_of("=:");
    if (sep == std::string_view::npos || sep == 0)
      throw_bad_input("expected 'key = value'", file, line_off);
    last_key = lower(trim(t.substr(0, sep)));
    ini.data_[section][last_key] = std::string(trim(strip_inline_comment(t.substr(sep + 1))));
  }
  return ini;
}

std::optional<std::string> IniFile::raw(const std::string& section, const std::string& key) const {
  for (const auto* s : {&section, static_cast<const std::string*>(nullptr)}) {
    auto it = data_.find(s ? *s : std::string("DEFAULT"));
    if (it == data_.end()) continue;
    auto kv = it->second.find(key);
    if (kv != it->second.end()) return kv->second;
  }
  return std::nullopt;
}

std::string IniFile::interpolate(const std::string& section, const std::string& value,
                                 int depth) const {
  if (depth > 10)
    throw_bad_input(fmt::format("[{}]: interpolation too deep (a loop?)", section), file_,
                    offset(section));
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out += value[i];
      continue;
    }
    if (i + 1 < value.size() && value[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    if (i + 1 < value.size() && value[i + 1] == '(') {
      auto close = value.find(")s", i + 2);
      if (close != std::string::npos) {
        std::string name = lower(value.substr(i + 2, close - i - 2));
        auto v = raw(section, name);
        if (!v)
          throw_bad_input(fmt::format("[{}]: %({})s names no key", section, name), file_,
                          offset(section));
        out += interpolate(section, *v, depth + 1);
        i = close + 1;
        continue;
      }
    }
    throw_bad_input(fmt::format("[{}]: '%' must be followed by '%' or '(name)s'", section), file_,
                    offset(section));
  }
  return out;
}

std::optional<std::string> IniFile::get(const std::string& section, const std::string& key) const {
  auto v = raw(section, lower(key));
  if (!v) return std::nullopt;
  return interpolate(section, *v, 0);
}

std::vector<std::string> IniFile::keys(const std::string& section) const {
  std::vector<std::string> k;
  for (const auto* s : {"DEFAULT", section.c_str()}) {
    auto it = data_.find(s);
    if (it == data_.end()) continue;
    for (const auto& [key, v] : it->second)
      if (std::find(k.begin(), k.end(), key) == k.end()) k.push_back(key);
  }
  return k;
}

size_t IniFile::offset(const std::string& section) const {
  auto it = offsets_.find(section);
  return it == offsets_.end() ? 0 : it->second;
}

std::vector<std::string> parse_python_string_list(std::string_view text, const std::string& file,
                                                  size_t offset) {
  std::vector<std::string> out;
  std::string_view t = trim(text);
  auto fail = [&](const char* why) {
    throw_bad_input(fmt::format("hook-projects: {} (expected a list like ['a', 'b'])", why), file,
                    offset);
  };
  if (t.size() < 2 ||
      !((t.front() == '[' && t.back() == ']') || (t.front() == '(' && t.back() == ')')))
    fail("not a list");
  t = t.substr(1, t.size() - 2);
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
  };
  skip_ws();
  while (i < t.size()) {
    char q = t[i];
    if (q != '\'' && q != '"') fail("an element is not a string literal");
    ++i;
    std::string s;
    for (;;) {
      if (i >= t.size()) fail("unterminated string");
      char c = t[i++];
      if (c == q) break;
      if (c == '\\') {
        if (i >= t.size()) fail("unterminated string");
        char e = t[i++];
        switch (e) {
          case 'n':
            s += '\n';
            break;
          case 't':
            s += '\t';
            break;
          case '\\':
            s += '\\';
            break;
          case '\'':
            s += '\'';
            break;
          case '"':
            s += '"';
            break;
          default:
            s += '\\';
            s += e;
        }
      } else {
        s += c;
      }
    }
    out.push_back(std::move(s));
    skip_ws();
    if (i < t.size()) {
      if (t[i] != ',') fail("expected ','");
      ++i;
      skip_ws();
    }
  }
  return out;
}

}  // namespace integral::poll
