// JSON across the trust boundary: every JSON input is parsed here (any nlohmann exception
// becomes a bad-input Error naming the file and byte offset), and every JSON output is written
// here (every string made valid UTF-8 by json_safe, so writing never throws).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace integral {

// Deeper nesting than this is refused (the writers and the sanitiser below recurse).
inline constexpr size_t kMaxJsonDepth = 256;

// Parses one JSON value from `text` read from `file`. With `trailing_allowed`, text after the
// value is not looked at (a value embedded in a longer printout).
nlohmann::json parse_json_input(std::string_view text, const std::string& file,
                                bool trailing_allowed = false);
nlohmann::ordered_json parse_ordered_json_input(std::string_view text, const std::string& file);

// j.dump(indent) with every string and key passed through json_safe first.
std::string dump_json(const nlohmann::json& j, int indent = -1);
std::string dump_json(const nlohmann::ordered_json& j, int indent = -1);

}  // namespace integral
