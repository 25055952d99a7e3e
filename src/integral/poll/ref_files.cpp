#include "integral/poll/ref_files.h"

#include <fstream>
#include <set>
#include <sstream>

namespace integral::poll {

namespace fs = std::filesystem;

namespace {

bool is_hex_id(std::string_view s) {
  if (s.size() != 40 && s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Small files only (packed-refs of a mirror, loose refs); a bigger one goes to git.
std::optional<std::string> slurp(const fs::path& p, size_t limit) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::string s;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    s.append(buf, static_cast<size_t>(in.gcount()));
    if (s.size() > limit) return std::nullopt;
  }
  if (in.bad()) return std::nullopt;
  return s;
}

// The directory under which refs matching `pattern` live ("refs/heads/*" → "refs/heads").
std::string pattern_dir(const std::string& pattern) {
  auto star = pattern.find('*');
  std::string p = star == std::string::npos ? pattern : pattern.substr(0, star);
  auto slash = p.rfind('/');
  return slash == std::string::npos ? std::string() : p.substr(0, slash);
}

}  // namespace

std::optional<RefMap> read_ref_files(const fs::path& gitdir,
                                     const std::vector<std::string>& patterns) {
  std::error_code ec;
  // Another ref store, or a repository format this reader does not know about.
  if (fs::exists(gitdir / "reftable", ec) || ec) return std::nullopt;
  RefMap refs;
  if (fs::exists(gitdir / "packed-refs", ec)) {
    auto text = slurp(gitdir / "packed-refs", 64u << 20);
    if (!text) return std::nullopt;
    size_t pos = 0;
    while (pos < text->size()) {
      auto eol = text->find('\n', pos);
      if (eol == std::string::npos) return std::nullopt;  // git always ends the file with \n
      std::string_view line(text->data() + pos, eol - pos);
      pos = eol + 1;
      if (line.empty() || line[0] == '#' || line[0] == '^') continue;  // header, peeled id
      auto sp = line.find(' ');
      if (sp == std::string_view::npos || !is_hex_id(line.substr(0, sp))) return std::nullopt;
      std::string ref(line.substr(sp + 1));
      if (ref.rfind("refs/", 0) != 0) return std::nullopt;
      if (ref_matches_any(patterns, ref)) refs[ref] = std::string(line.substr(0, sp));
    }
  } else if (ec) {
    return std::nullopt;
  }
  std::set<std::string> dirs;
  for (const auto& p : patterns) dirs.insert(pattern_dir(p));
  std::set<std::string> scanned;
  for (const auto& d : dirs) {
    if (d.empty() || d.rfind("refs", 0) != 0) return std::nullopt;
    // A parent already scanned covers its subdirectories.
    bool covered = false;
    for (const auto& s : scanned)
      if (d == s || d.rfind(s + "/", 0) == 0) covered = true;
    if (covered) continue;
    scanned.insert(d);
    fs::path root = gitdir / d;
    if (!fs::exists(root, ec)) {
      if (ec) return std::nullopt;
      continue;
    }
    fs::recursive_directory_iterator it(root, ec), end;
    if (ec) return std::nullopt;
    for (; it != end; it.increment(ec)) {
      if (ec) return std::nullopt;
      auto name = it->path().filename().string();
      // Components git's check-ref-format refuses: lock files and dot files are not refs.
      if (name.empty() || name[0] == '.' ||
          (name.size() >= 5 && name.compare(name.size() - 5, 5, ".lock") == 0)) {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (it->is_directory(ec)) continue;
      if (!it->is_regular_file(ec)) return std::nullopt;
      std::string ref = d + "/" + it->path().lexically_relative(root).generic_string();
      if (!ref_matches_any(patterns, ref)) continue;
      auto text = slurp(it->path(), 4096);
      if (!text) return std::nullopt;
      std::string_view v(*text);
      while (!v.empty() && (v.back() == '\n' || v.back() == '\r' || v.back() == ' '))
        v.remove_suffix(1);
      if (!is_hex_id(v)) return std::nullopt;  // a symbolic ref, or a half-written file
      refs[ref] = std::string(v);
    }
  }
  return refs;
}

}  // namespace integral::poll
