#include "integral/util/json_io.h"

#include <fmt/format.h>

#include <sstream>

#include "integral/util/error.h"
#include "integral/util/text.h"

namespace integral {

namespace {

// A first pass that builds nothing: it finds the first error with its byte offset (the DOM
// parser reports some, such as a number too large for a double, as other exception types
// without one) and refuses deep nesting before anything recursive sees it.
template <typename J>
class Checker : public nlohmann::json_sax<J> {
 public:
  using number_integer_t = typename J::number_integer_t;
  using number_unsigned_t = typename J::number_unsigned_t;
  using number_float_t = typename J::number_float_t;
  using string_t = typename J::string_t;
  using binary_t = typename J::binary_t;

  explicit Checker(const std::string& file) : file_(file) {}

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return deeper(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return shallower(); }
  bool start_array(std::size_t) override { return deeper(); }
  bool end_array() override { return shallower(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    // position counts characters read, the offending one included.
    throw_bad_input(fmt::format("not JSON: {}", e.what()), file_, position > 0 ? position - 1 : 0);
  }

 private:
  bool deeper() {
    if (++depth_ > kMaxJsonDepth)
      throw_bad_input(fmt::format("JSON nested deeper than {} levels", kMaxJsonDepth), file_);
    return true;
  }
  bool shallower() {
    --depth_;
    return true;
  }
  const std::string& file_;
  size_t depth_ = 0;
};

template <typename J>
J parse(std::string_view text, const std::string& file, bool trailing_allowed) {
  Checker<J> checker(file);
  try {
    J::sax_parse(text, &checker, nlohmann::json::input_format_t::json, !trailing_allowed);
    J j;
    if (trailing_allowed) {
      std::istringstream in{std::string(text)};
      in >> j;
    } else {
      j = J::parse(text);
    }
    return j;
  } catch (const nlohmann::json::exception& e) {
    // The first pass should have caught everything; whatever slips through is still input.
    throw_bad_input(fmt::format("not JSON: {}", e.what()), file);
  }
}

template <typename J>
bool needs_fixing(const J& j) {
  if (j.is_string()) return !is_valid_utf8(j.template get_ref<const std::string&>());
  if (j.is_array()) {
    for (const auto& v : j)
      if (needs_fixing(v)) return true;
  } else if (j.is_object()) {
    for (const auto& [k, v] : j.items())
      if (!is_valid_utf8(k) || needs_fixing(v)) return true;
  }
  return false;
}

template <typename J>
J fixed(const J& j) {
  if (j.is_string()) return J(json_safe(j.template get_ref<const std::string&>()));
  if (j.is_array()) {
    J out = J::array();
    for (const auto& v : j) out.push_back(fixed(v));
    return out;
  }
  if (j.is_object()) {
    J out = J::object();
    for (const auto& [k, v] : j.items()) out[json_safe(k)] = fixed(v);
    return out;
  }
  return j;
}

template <typename J>
std::string dump(const J& j, int indent) {
  if (!needs_fixing(j)) return j.dump(indent);
  return fixed(j).dump(indent);
}

}  // namespace

nlohmann::json parse_json_input(std::string_view text, const std::string& file,
                                bool trailing_allowed) {
  return parse<nlohmann::json>(text, file, trailing_allowed);
}

nlohmann::ordered_json parse_ordered_json_input(std::string_view text, const std::string& file) {
  return parse<nlohmann::ordered_json>(text, file, false);
}

std::string dump_json(const nlohmann::json& j, int indent) {
  return dump(j, indent);
}

std::string dump_json(const nlohmann::ordered_json& j, int indent) {
  return dump(j, indent);
}

std::optional<uint64_t> json_unsigned(const nlohmann::json& v, uint64_t max) {
  if (!v.is_number_unsigned()) return std::nullopt;
  const auto n = v.get<uint64_t>();
  if (n > max) return std::nullopt;
  return n;
}

std::optional<std::string> json_string(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return std::nullopt;
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::string python_json_dumps(const nlohmann::ordered_json& j) {
  using Json = nlohmann::ordered_json;
  if (j.is_object()) {
    std::string out = "{";
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it != j.begin()) out += ", ";
      out += Json(json_safe(it.key())).dump(-1, ' ', true) + ": " + python_json_dumps(it.value());
    }
    return out + "}";
  }
  if (j.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < j.size(); ++i) out += (i ? ", " : "") + python_json_dumps(j[i]);
    return out + "]";
  }
  if (j.is_string()) return Json(json_safe(j.get<std::string>())).dump(-1, ' ', true);
  return j.dump(-1, ' ', true);
}

}  // namespace integral
