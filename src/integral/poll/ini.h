// The INI dialect of Python's ConfigParser, as twobit-gitpoller's config files use it:
// [section] headers, "key = value" or "key: value", keys case-insensitive, '#'/';' comment
// lines, ';' inline comments after whitespace, indented continuation lines, a [DEFAULT]
// section inherited by every other section, and %(name)s interpolation with %% for '%'.
// Hand-written: no Debian C++ library reads this dialect (inheritance and interpolation).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace integral::poll {

class IniFile {
 public:
  // `file` names the input in errors (with the byte offset of the offending line).
  static IniFile parse(std::string_view text, const std::string& file);

  // Sections in file order, without DEFAULT.
  const std::vector<std::string>& sections() const { return order_; }
  // The value of `key` in `section` (falling back to DEFAULT), interpolated.
  std::optional<std::string> get(const std::string& section, const std::string& key) const;
  // Every key visible in `section` (its own and DEFAULT's), lower-case.
  std::vector<std::string> keys(const std::string& section) const;
  const std::string& file() const { return file_; }
  // Byte offset of the section header (for errors).
  size_t offset(const std::string& section) const;

 private:
  std::optional<std::string> raw(const std::string& section, const std::string& key) const;
  std::string interpolate(const std::string& section, const std::string& value, int depth) const;

  std::string file_;
  std::map<std::string, std::map<std::string, std::string>> data_;  // "DEFAULT" included
  std::map<std::string, size_t> offsets_;
  std::vector<std::string> order_;
};

// A Python list (or tuple) literal of string literals, e.g. "['a', \"b\"]", as
// ast.literal_eval reads it for hook-projects.
std::vector<std::string> parse_python_string_list(std::string_view text, const std::string& file,
                                                  size_t offset);

}  // namespace integral::poll
