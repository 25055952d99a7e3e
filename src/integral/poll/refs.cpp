#include "integral/poll/refs.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/text.h"

namespace integral::poll {

namespace {
constexpr std::string_view kStateHeader = "# integral poll delivered refs v1";

bool is_hex_id(std::string_view s) {
  if (s.size() != 40 && s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Git forbids these in ref names; refusing them keeps a hostile remote or state file from
// smuggling a second field or line into a post-receive line.
bool plausible_ref(std::string_view r) {
  if (r.size() < 6 || r.substr(0, 5) != "refs/") return false;
  for (unsigned char c : r)
    if (c <= 0x20 || c == 0x7f) return false;
  return true;
}
}  // namespace

std::string zero_id(size_t hex_len) {
  return std::string(hex_len, '0');
}

bool is_zero_id(std::string_view id) {
  return !id.empty() && id.find_first_not_of('0') == std::string_view::npos;
}

std::vector<RefUpdate> diff_refs(const RefMap& before, const RefMap& after) {
  std::vector<RefUpdate> out;
  auto b = before.begin();
  auto a = after.begin();
  while (b != before.end() || a != after.end()) {
    if (a == after.end() || (b != before.end() && b->first < a->first)) {
      out.push_back({b->second, zero_id(b->second.size()), b->first});
      ++b;
    } else if (b == before.end() || a->first < b->first) {
      out.push_back({zero_id(a->second.size()), a->second, a->first});
      ++a;
    } else {
      if (a->second != b->second) out.push_back({b->second, a->second, a->first});
      ++a;
      ++b;
    }
  }
  return out;
}

std::string post_receive_lines(const std::vector<RefUpdate>& updates) {
  std::string s;
  for (const auto& u : updates) s += fmt::format("{} {} {}\n", u.old_id, u.new_id, u.ref);
  return s;
}

bool ref_matches(std::string_view pattern, std::string_view ref) {
  auto star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == ref;
  auto prefix = pattern.substr(0, star);
  auto suffix = pattern.substr(star + 1);
  return ref.size() >= prefix.size() + suffix.size() && ref.substr(0, prefix.size()) == prefix &&
         ref.substr(ref.size() - suffix.size()) == suffix;
}

bool ref_matches_any(const std::vector<std::string>& patterns, std::string_view ref) {
  for (const auto& p : patterns)
    if (ref_matches(p, ref)) return true;
  return false;
}

RefMap parse_ref_lines(std::string_view text, const std::vector<std::string>& patterns,
                       std::string_view source) {
  RefMap refs;
  LineReader lines(text);
  std::string_view line;
  size_t line_start = 0;
  while (lines.next(line, line_start)) {
    if (line.empty()) continue;
    size_t sep = line.find_first_of(" \t");
    if (sep == std::string_view::npos || !is_hex_id(line.substr(0, sep)))
      throw_bad_input(fmt::format("{}: malformed ref line", source), std::string(source),
                      line_start);
    std::string_view ref = line.substr(sep + 1);
    if (ref.size() > 3 && ref.substr(ref.size() - 3) == "^{}") continue;
    if (ref == "HEAD" || !ref_matches_any(patterns, ref)) continue;
    if (!plausible_ref(ref))
      throw_bad_input(fmt::format("{}: invalid ref name", source), std::string(source),
                      line_start + sep + 1);
    refs[std::string(ref)] = std::string(line.substr(0, sep));
  }
  return refs;
}

std::string format_state(const RefMap& refs) {
  std::string s(kStateHeader);
  s += '\n';
  for (const auto& [ref, id] : refs) s += fmt::format("{} {}\n", id, ref);
  return s;
}

RefMap parse_state(std::string_view text, const std::string& file) {
  if (text.substr(0, kStateHeader.size()) != kStateHeader ||
      (text.size() > kStateHeader.size() && text[kStateHeader.size()] != '\n'))
    throw_bad_input("not an integral poll state file", file, 0);
  size_t body = std::min(text.size(), kStateHeader.size() + 1);
  RefMap refs;
  size_t pos = body;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos)
      throw_bad_input("truncated state file", file, pos);  // atomic writes end every line
    std::string_view line = text.substr(pos, eol - pos);
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos || !is_hex_id(line.substr(0, sp)) ||
        !plausible_ref(line.substr(sp + 1)))
      throw_bad_input("malformed state line", file, pos);
    refs[std::string(line.substr(sp + 1))] = std::string(line.substr(0, sp));
    pos = eol + 1;
  }
  return refs;
}

bool load_state(const std::filesystem::path& file, RefMap& out) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return false;
  out = parse_state(read_text_file(file, 256u << 20), file.string());
  return true;
}

void store_state(const std::filesystem::path& file, const RefMap& refs) {
  write_file_atomic(file, format_state(refs));  // fsyncs the file and its directory
}

}  // namespace integral::poll
