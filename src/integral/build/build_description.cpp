#include "integral/build/build_description.h"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <sstream>

#include "integral/predict/boot_description_toml.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/hex.h"
#include "integral/util/number.h"

namespace integral::build {

namespace {

uint32_t line_of(const toml::node& n) {
  return n.source().begin.line;
}

// Names become file names in the output (images/NAME.img, boots/NAME.prediction.json).
void check_name(std::string_view kind, std::string_view name, const toml::node& n,
                const std::string& source) {
  bool ok = !name.empty() && name.size() <= 64 && name[0] != '.' && name[0] != '-';
  for (char c : name)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.');
  if (!ok)
    throw_bad_input(fmt::format("line {}: {} name '{}' must be 1-64 letters, digits, '-', '_' or "
                                "'.', not starting with '.' or '-'",
                                line_of(n), kind, name),
                    source);
}

// Reads one [image.NAME] table's keys, each of the type it must have.
class ImageKeys {
 public:
  ImageKeys(const toml::table& t, std::string name, const std::string& source)
      : t_(t), name_(std::move(name)), source_(source) {
    static const std::set<std::string, std::less<>> known = {
        "tree",   "tar",     "manifest",  "file_contexts", "type",      "size", "vhd",
        "verity", "digests", "timestamp", "uuid",          "hash_seed", "label"};
    for (const auto& [key, node] : t)
      if (!known.contains(key.str()))
        fail(node, fmt::format("unknown key '{}' (expected one of tree, tar, manifest, "
                               "file_contexts, type, size, vhd, verity, digests, timestamp, "
                               "uuid, hash_seed, label)",
                               key.str()));
  }
  [[noreturn]] void fail(const toml::node& n, std::string_view message) const {
    throw_bad_input(fmt::format("line {}: image '{}': {}", line_of(n), name_, message), source_);
  }
  std::optional<std::string> string(std::string_view key) const {
    const toml::node* n = t_.get(key);
    if (!n) return std::nullopt;
    if (!n->is_string()) fail(*n, fmt::format("'{}' must be a string", key));
    return *n->value<std::string>();
  }
  std::optional<int64_t> integer(std::string_view key) const {
    const toml::node* n = t_.get(key);
    if (!n) return std::nullopt;
    if (!n->is_integer()) fail(*n, fmt::format("'{}' must be an integer", key));
    return *n->value<int64_t>();
  }
  std::optional<bool> boolean(std::string_view key) const {
    const toml::node* n = t_.get(key);
    if (!n) return std::nullopt;
    if (!n->is_boolean()) fail(*n, fmt::format("'{}' must be true or false", key));
    return *n->value<bool>();
  }
  std::vector<HashAlg> banks(std::string_view key) const {
    std::vector<HashAlg> out;
    const toml::node* n = t_.get(key);
    if (!n) return out;
    const toml::array* a = n->as_array();
    if (!a) fail(*n, fmt::format("'{}' must be a list of bank names", key));
    for (const auto& item : *a) {
      auto alg = item.is_string() ? parse_hash_alg(*item.value<std::string>()) : std::nullopt;
      if (!alg) fail(item, fmt::format("'{}' names an unknown bank", key));
      out.push_back(*alg);
    }
    return out;
  }
  const toml::node& node(std::string_view key) const { return *t_.get(key); }

 private:
  const toml::table& t_;
  std::string name_;
  const std::string& source_;
};

ImageEntry parse_image(std::string name, const toml::table& t, const std::string& source,
                       const std::filesystem::path& base) {
  ImageKeys k(t, name, source);
  ImageEntry e;
  e.name = std::move(name);
  auto path = [&](std::string_view key) -> std::filesystem::path {
    auto s = k.string(key);
    if (!s) return {};
    std::filesystem::path p(*s);
    return p.is_absolute() ? p : base / p;
  };
  e.spec.tree = path("tree");
  e.spec.tar = path("tar");
  if (e.spec.tree.empty() == e.spec.tar.empty())
    k.fail(t, "give exactly one of tree (a directory) or tar (an archive)");
  e.spec.manifest = path("manifest");
  e.spec.file_contexts = path("file_contexts");
  e.type = k.string("type").value_or("ext4");
  if (e.type == "ext4")
    e.spec.ext.kind = image::ExtKind::kExt4;
  else if (e.type == "ext3")
    e.spec.ext.kind = image::ExtKind::kExt3;
  else if (e.type == "ext2")
    e.spec.ext.kind = image::ExtKind::kExt2;
  else
    k.fail(k.node("type"), fmt::format("type '{}' is not ext4, ext3 or ext2", e.type));
  if (auto size = k.string("size")) {
    auto v = parse_size(*size);
    if (!v) k.fail(k.node("size"), fmt::format("size '{}' is not bytes, or with K, M, G", *size));
    e.spec.ext.size_bytes = *v;
  }
  e.spec.ext.timestamp = k.integer("timestamp").value_or(image::default_timestamp());
  for (auto [key, slot] :
       {std::pair{"uuid", &e.spec.ext.uuid}, std::pair{"hash_seed", &e.spec.ext.hash_seed}}) {
    if (auto s = k.string(key)) {
      *slot = parse_uuid(*s);
      if (!*slot) k.fail(k.node(key), fmt::format("{} '{}' is not a UUID", key, *s));
    }
  }
  e.spec.ext.label = k.string("label").value_or("");
  if (e.spec.ext.label.size() > 16) k.fail(k.node("label"), "label is at most 16 bytes");
  if (auto vhd = k.string("vhd")) {
    if (*vhd == "fixed")
      e.spec.vhd = image::VhdKind::kFixed;
    else if (*vhd == "dynamic")
      e.spec.vhd = image::VhdKind::kDynamic;
    else
      k.fail(k.node("vhd"), fmt::format("vhd '{}' is not fixed or dynamic", *vhd));
  }
  if (k.boolean("verity").value_or(false)) e.spec.verity = image::VerityParams{};
  e.extra_banks = k.banks("digests");
  return e;
}

// The images a boot's stages name (`image = "..."`), each checked to exist.
std::set<std::string> images_named(const toml::table& boot, const BuildDescription& d,
                                   const std::string& boot_name) {
  std::set<std::string> out;
  const toml::array* stages = boot["stage"].as_array();
  if (!stages) return out;
  for (const auto& s : *stages) {
    const toml::table* t = s.as_table();
    const toml::node* n = t ? t->get("image") : nullptr;
    if (!n || !n->is_string()) continue;  // the stage itself refuses a wrong type
    std::string name = *n->value<std::string>();
    if (!d.image(name))
      throw_bad_input(fmt::format("line {}: boot '{}' names image '{}', which this build does "
                                  "not make",
                                  line_of(*n), boot_name, name),
                      d.source);
    out.insert(name);
  }
  return out;
}

BootEntry parse_boot(std::string name, const toml::table& t, const BuildDescription& d) {
  BootEntry b;
  b.name = std::move(name);
  if (const toml::node* p = t.get("policy")) {
    if (!p->is_string())
      throw_bad_input(fmt::format("line {}: boot '{}': policy must be a PCR selection such as "
                                  "\"sha256:7,11\"",
                                  line_of(*p), b.name),
                      d.source);
    try {
      b.policy = PcrSelection::parse(*p->value<std::string>());
    } catch (const Error& e) {
      throw_bad_input(fmt::format("line {}: boot '{}': policy: {}", line_of(*p), b.name, e.what()),
                      d.source);
    }
  }
  b.images = images_named(t, d, b.name);
  std::ostringstream canonical;
  canonical << t;
  b.canonical = canonical.str();
  b.boot = boot_description_from_table(t, fmt::format("{} [boot.{}]", d.source, b.name), d.base_dir,
                                       {"policy"});
  return b;
}

const toml::table& table_of(const toml::node& n, std::string_view what, const std::string& source) {
  const toml::table* t = n.as_table();
  if (!t) throw_bad_input(fmt::format("line {}: {} must be a table", line_of(n), what), source);
  return *t;
}

}  // namespace

const ImageEntry* BuildDescription::image(std::string_view name) const {
  for (const auto& i : images)
    if (i.name == name) return &i;
  return nullptr;
}

std::vector<HashAlg> BuildDescription::image_banks(std::string_view name) const {
  std::vector<HashAlg> out = {HashAlg::kSha256};
  auto add = [&](HashAlg a) {
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  };
  if (const ImageEntry* e = image(name))
    for (HashAlg a : e->extra_banks) add(a);
  for (const auto& b : boots)
    if (b.images.contains(std::string(name)))
      for (HashAlg a : b.boot.banks) add(a);
  return out;
}

BuildDescription parse_build_description(std::string_view text, const std::string& source,
                                         const std::filesystem::path& base_dir) {
  const toml::table root = parse_toml(text, source);
  BuildDescription d;
  d.source = source;
  d.base_dir = base_dir;
  for (const auto& [key, node] : root)
    if (key.str() != "image" && key.str() != "boot")
      throw_bad_input(fmt::format("line {}: unknown key '{}' (expected [image.NAME] and "
                                  "[boot.NAME] tables)",
                                  line_of(node), key.str()),
                      source);
  if (const toml::node* images = root.get("image"))
    for (const auto& [name, node] : table_of(*images, "'image'", source)) {
      check_name("image", name.str(), node, source);
      d.images.push_back(parse_image(std::string(name.str()),
                                     table_of(node, fmt::format("image '{}'", name.str()), source),
                                     source, base_dir));
    }
  if (const toml::node* boots = root.get("boot"))
    for (const auto& [name, node] : table_of(*boots, "'boot'", source)) {
      check_name("boot", name.str(), node, source);
      d.boots.push_back(parse_boot(std::string(name.str()),
                                   table_of(node, fmt::format("boot '{}'", name.str()), source),
                                   d));
    }
  if (d.images.empty() && d.boots.empty())
    throw_bad_input("has no [image.NAME] and no [boot.NAME]: nothing to build", source);
  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  std::sort(d.images.begin(), d.images.end(), by_name);
  std::sort(d.boots.begin(), d.boots.end(), by_name);
  return d;
}

BuildDescription load_build_description(const std::filesystem::path& path) {
  std::string text = read_text_file(path, 16u << 20);
  // Absolute, so the outputs can name inputs relative to it wherever the build ran.
  return parse_build_description(text, path.string(),
                                 std::filesystem::absolute(path).lexically_normal().parent_path());
}

}  // namespace integral::build
