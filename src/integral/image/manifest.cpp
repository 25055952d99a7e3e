#include "integral/image/manifest.h"

#include <fmt/format.h>
#include <fnmatch.h>
#include <openssl/evp.h>

#include <charconv>

#include "integral/util/error.h"
#include "integral/util/hex.h"
#include "integral/util/text.h"

namespace integral::image {

namespace {

std::string unescape(std::string_view s, const std::string& name, uint64_t off) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '\\') {
      out += '\\';
      ++i;
      continue;
    }
    if (i + 3 >= s.size() + 0 || s[i + 1] < '0' || s[i + 1] > '3' || s[i + 2] < '0' ||
        s[i + 2] > '7' || s[i + 3] < '0' || s[i + 3] > '7')
      throw_bad_input("bad escape (use \\ooo octal or \\\\)", name, off + i);
    out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
    i += 3;
  }
  return out;
}

uint32_t number(std::string_view s, int base, const std::string& name, uint64_t off,
                const char* what) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    throw_bad_input(fmt::format("bad {} '{}'", what, s), name, off);
  return v;
}

std::string decode_value(const std::string& v, const std::string& name, uint64_t off) {
  if (v.size() >= 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    auto bytes = from_hex(v.substr(2));
    if (!bytes) throw_bad_input("bad hex xattr value", name, off);
    return std::string(bytes->begin(), bytes->end());
  }
  if (v.size() >= 2 && v[0] == '0' && (v[1] == 's' || v[1] == 'S')) {
    std::string b64 = v.substr(2);
    if (b64.size() % 4 != 0 || b64.size() > 8192)
      throw_bad_input("bad base64 xattr value", name, off);
    std::string out(b64.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(b64.data()),
                            static_cast<int>(b64.size()));
    if (n < 0) throw_bad_input("bad base64 xattr value", name, off);
    size_t pad = 0;
    while (pad < 2 && b64.size() > pad && b64[b64.size() - 1 - pad] == '=') ++pad;
    out.resize(static_cast<size_t>(n) - pad);
    return out;
  }
  return v;
}

}  // namespace

namespace {

using Field = std::pair<std::string_view, uint64_t>;  // a field and its offset in the manifest

// The white-space-separated fields of a line (comment already cut).
std::vector<Field> split_fields(std::string_view line, uint64_t line_off) {
  std::vector<Field> fields;
  for (size_t i = 0; i < line.size();) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) fields.emplace_back(line.substr(i, j - i), line_off + i);
    i = j;
  }
  return fields;
}

// The PATH and TYPE fields.
void read_path_and_type(ManifestLine& m, const Field& path, const Field& type,
                        const std::string& name) {
  std::string raw = unescape(path.first, name, path.second);
  if (raw.empty() || raw[0] != '/')
    throw_bad_input(fmt::format("line {}: path '{}' must be absolute in the image", m.line, raw),
                    name, path.second);
  m.is_glob = raw.find_first_of("*?[") != std::string::npos;
  if (m.is_glob) {
    // Globs are matched against normalized paths; refuse '..' in them all the same.
    Tree::normalize(raw, true, name, path.second);
    m.path = raw.substr(1);
  } else {
    m.path = Tree::normalize(raw, true, name, path.second);
  }
  auto t = type.first;
  if (t.size() != 1 || std::string_view("-fdlcbps").find(t[0]) == std::string_view::npos)
    throw_bad_input(fmt::format("line {}: type '{}' is not one of - f d l c b p s", m.line, t),
                    name, type.second);
  m.type = t[0];
  if (m.is_glob && m.type != '-')
    throw_bad_input(
        fmt::format("line {}: a glob can only change existing entries (type '-')", m.line), name,
        type.second);
}

// One KEY=VALUE field after GID.
void read_key_value(ManifestLine& m, const Field& field, const std::string& name) {
  auto [f, off] = field;
  size_t eq = f.find('=');
  if (eq == std::string_view::npos)
    throw_bad_input(fmt::format("line {}: '{}' is not key=value", m.line, f), name, off);
  auto key = f.substr(0, eq);
  std::string val = unescape(f.substr(eq + 1), name, off + eq + 1);
  if (key == "major") {
    m.major = number(val, 10, name, off, "major");
  } else if (key == "minor") {
    m.minor = number(val, 10, name, off, "minor");
  } else if (key == "target") {
    if (val.empty() || val.size() > kMaxSymlinkLen)
      throw_bad_input(fmt::format("line {}: symlink target empty or too long", m.line), name, off);
    m.target = val;
  } else if (key.substr(0, 6) == "xattr.") {
    std::string xn(key.substr(6));
    if (xn.find('.') == std::string::npos || xn.size() > 255)
      throw_bad_input(fmt::format("line {}: bad xattr name '{}'", m.line, xn), name, off);
    std::string v = decode_value(val, name, off);
    if (v.size() > kMaxXattrValue)
      throw_bad_input(fmt::format("line {}: xattr value over {} bytes", m.line, kMaxXattrValue),
                      name, off);
    m.xattrs.emplace_back(std::move(xn), std::move(v));
  } else {
    throw_bad_input(fmt::format("line {}: unknown key '{}'", m.line, key), name, off);
  }
}

// A MODE/UID/GID field: "-" leaves the entry's value.
std::optional<uint32_t> optional_number(const Field& field, int base, const std::string& name,
                                        const char* what) {
  if (field.first == "-") return std::nullopt;
  return number(field.first, base, name, field.second, what);
}

}  // namespace

std::vector<ManifestLine> parse_manifest(const std::string& text, const std::string& name) {
  std::vector<ManifestLine> out;
  size_t lineno = 0;
  LineReader lines(text);
  std::string_view line;
  size_t line_off = 0;
  while (lines.next(line, line_off)) {
    ++lineno;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    const std::vector<Field> fields = split_fields(line, line_off);
    if (fields.empty()) continue;
    if (fields.size() < 5)
      throw_bad_input(fmt::format("line {}: expected PATH TYPE MODE UID GID", lineno), name,
                      line_off);
    ManifestLine m;
    m.line = lineno;
    m.offset = line_off;
    read_path_and_type(m, fields[0], fields[1], name);
    m.mode = optional_number(fields[2], 8, name, "mode");
    if (m.mode && *m.mode > 07777)
      throw_bad_input(fmt::format("line {}: mode above 07777", lineno), name, fields[2].second);
    m.uid = optional_number(fields[3], 10, name, "uid");
    m.gid = optional_number(fields[4], 10, name, "gid");
    for (size_t i = 5; i < fields.size(); ++i) read_key_value(m, fields[i], name);
    out.push_back(std::move(m));
  }
  return out;
}

namespace {

// The inverse of entry_type_letter, for a type letter the parser accepted.
EntryType type_of(char c) {
  for (auto i = static_cast<uint8_t>(EntryType::kRegular);
       i < static_cast<uint8_t>(EntryType::kSocket); ++i)
    if (entry_type_letter(static_cast<EntryType>(i)) == c) return static_cast<EntryType>(i);
  return EntryType::kSocket;
}

void apply_fields(Tree& tree, Entry& name_entry, const ManifestLine& m, const std::string& name) {
  // A hard link's metadata is its inode's: change the first name's entry.
  Entry& e = name_entry.link_to.empty() ? name_entry : *tree.find(name_entry.link_to);
  if (m.mode) e.mode = *m.mode;
  if (m.uid) e.uid = *m.uid;
  if (m.gid) e.gid = *m.gid;
  if (m.major || m.minor) {
    if (e.type != EntryType::kCharDev && e.type != EntryType::kBlockDev)
      throw_bad_input(fmt::format("line {}: major/minor on a non-device '/{}'", m.line, e.path),
                      name, m.offset);
    if (m.major) e.major = *m.major;
    if (m.minor) e.minor = *m.minor;
  }
  if (m.target) {
    if (e.type != EntryType::kSymlink)
      throw_bad_input(fmt::format("line {}: target= on a non-symlink '/{}'", m.line, e.path), name,
                      m.offset);
    e.target = *m.target;
  }
  for (const auto& [k, v] : m.xattrs) {
    if (v.empty())
      e.xattrs.erase(k);
    else
      e.xattrs[k] = v;
  }
}

}  // namespace

void apply_manifest(Tree& tree, const std::vector<ManifestLine>& lines, const std::string& name,
                    std::set<std::string>* explicit_labels) {
  for (const auto& m : lines) {
    bool labels = false;
    for (const auto& x : m.xattrs) labels = labels || x.first == "security.selinux";
    auto note = [&](const Entry& e) {
      if (labels && explicit_labels)
        explicit_labels->insert(e.link_to.empty() ? e.path : e.link_to);
    };
    if (m.is_glob) {
      size_t hits = 0;
      for (auto& [path, e] : tree.entries()) {
        if (::fnmatch(m.path.c_str(), path.c_str(), 0) == 0) {
          apply_fields(tree, e, m, name);
          note(e);
          ++hits;
        }
      }
      if (!hits)
        throw_bad_input(fmt::format("line {}: glob '/{}' matches nothing", m.line, m.path), name,
                        m.offset);
      continue;
    }
    Entry* e = tree.find(m.path);
    if (!e) {
      if (m.type == '-')
        throw_bad_input(fmt::format("line {}: '/{}' is not in the tree (give a type to create it)",
                                    m.line, m.path),
                        name, m.offset);
      Entry n;
      n.path = m.path;
      n.type = type_of(m.type);
      n.mode = n.type == EntryType::kDirectory ? 0755 : n.type == EntryType::kSymlink ? 0777 : 0644;
      if (n.type == EntryType::kRegular)
        throw_bad_input(
            fmt::format("line {}: a manifest cannot create regular file '/{}' (no content)", m.line,
                        m.path),
            name, m.offset);
      if ((n.type == EntryType::kCharDev || n.type == EntryType::kBlockDev) &&
          (!m.major || !m.minor))
        throw_bad_input(
            fmt::format("line {}: device '/{}' needs major= and minor=", m.line, m.path), name,
            m.offset);
      if (n.type == EntryType::kSymlink && !m.target)
        throw_bad_input(fmt::format("line {}: symlink '/{}' needs target=", m.line, m.path), name,
                        m.offset);
      e = &tree.add(std::move(n), name, m.offset);
    } else if (m.type != '-' && type_of(m.type) != e->type) {
      throw_bad_input(fmt::format("line {}: '/{}' is a '{}' in the tree, the manifest says '{}'",
                                  m.line, m.path, entry_type_letter(e->type), m.type),
                      name, m.offset);
    }
    apply_fields(tree, *e, m, name);
    note(*e);
  }
}

}  // namespace integral::image
