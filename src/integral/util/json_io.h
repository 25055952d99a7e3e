// JSON across the trust boundary: every JSON input is parsed here (any nlohmann exception
// becomes a bad-input Error naming the file and byte offset), and every JSON output is written
// here (every string made valid UTF-8 by json_safe, so writing never throws).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
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

// The value of an unsigned-integer field of untrusted JSON, or nullopt when it is anything else
// (a float such as 22e38, a negative number, a string) or larger than `max`. nlohmann's own
// get<unsigned>() converts a float with static_cast, which is undefined out of range.
std::optional<uint64_t> json_unsigned(const nlohmann::json& v, uint64_t max = UINT64_MAX);

// obj[key] when `obj` is an object whose `key` is a string, else nullopt. nlohmann's
// obj.value(key, "") throws a type_error (not a parse_error) when the field holds anything else.
std::optional<std::string> json_string(const nlohmann::json& obj, const char* key);

// j.dump(indent) with every string and key passed through json_safe first.
std::string dump_json(const nlohmann::json& j, int indent = -1);
std::string dump_json(const nlohmann::ordered_json& j, int indent = -1);

// What Python's json.dumps(j) writes (", " and ": " separators, ASCII only, keys in `j`'s
// order): the form Python tools (ukify, keylime) write, for byte-identical outputs.
std::string python_json_dumps(const nlohmann::ordered_json& j);

}  // namespace integral
