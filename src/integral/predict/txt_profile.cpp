#include "integral/predict/txt_profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include <toml++/toml.h>

#include "integral/chain/event_type.h"
#include "integral/tpm/pcr_set.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/text.h"

namespace integral {

namespace {

// A TOML basic string (bytes outside printable ASCII as \u00XX).
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {  // also non-ASCII: a profile must stay valid UTF-8
      out += fmt::format("\\u{:04x}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string bank_list(const std::vector<HashAlg>& banks) {
  std::string out = "[";
  for (size_t i = 0; i < banks.size(); ++i) out += (i ? ", " : "") + quote(hash_alg_name(banks[i]));
  return out + "]";
}

const char* role_of(const TxtLogEvent& e) {
  if (e.type == ev::kTbootMeasurement) return "tboot";
  if (e.type == ev::kTxtMleHash) return "mle";
  return "platform";
}

}  // namespace

LaunchFacts launch_facts(std::string_view text) {
  LaunchFacts f;
  bool banner = false;
  LineReader lines(text);
  std::string_view line;
  size_t offset = 0;
  while (lines.next(line, offset)) {
    std::string_view l = trim(line);
    if (l.starts_with("TBOOT:")) l = trim(l.substr(6));
    // tboot prints "****** TBOOT ******", then "<build date> <version>".
    if (l.find("* TBOOT *") != std::string_view::npos) {
      banner = true;
      continue;
    }
    if (banner) {
      banner = false;
      size_t sp = l.rfind(' ');
      std::string_view v = sp == std::string_view::npos ? l : l.substr(sp + 1);
      if (!v.empty() && std::isdigit(static_cast<unsigned char>(v.front())))
        f.tboot_version = std::string(v);
      continue;
    }
    if (l.starts_with("command line:")) f.tboot_cmdline = std::string(trim(l.substr(13)));
  }
  return f;
}

TxtProfile make_profile(const TxtLog& log, const LaunchFacts& facts, const std::string& source,
                        const std::vector<std::string>& notes) {
  TxtProfile p;
  p.source = source;
  p.notes = notes;
  const bool container = log.format == TxtLogFormat::kContainer12;
  const bool heap = log.format == TxtLogFormat::kHeap12;
  p.tpm = container || heap ? "1.2" : "2.0";
  p.log_format = std::string(txt_log_format_name(log.format));
  p.banks = log.banks;
  p.tboot_version = facts.tboot_version;
  p.tboot_cmdline = facts.tboot_cmdline;
  std::optional<uint32_t> mapping;
  for (const auto& e : log.events) {
    if (e.type == ev::kTxtPcrMapping) {
      if (e.data.size() != 4)
        throw_bad_input(fmt::format("line {}: PCR_MAPPING data is not 4 bytes", e.line), source);
      mapping = static_cast<uint32_t>(e.data[0] | e.data[1] << 8 | e.data[2] << 16 |
                                      static_cast<uint32_t>(e.data[3]) << 24);
      continue;
    }
    if (e.pcr >= kPcrCount) continue;
    if (e.digests.empty())
      throw_bad_input(fmt::format("line {}: a record without a digest", e.line), source);
    ProfileEvent pe;
    pe.pcr = e.pcr;
    pe.type = e.type;
    pe.role = role_of(e);
    pe.data = e.data;
    pe.digests = e.digests;
    pe.line = e.line;
    if (pe.role == "tboot")
      for (const auto& d : e.digests)
        if (std::find(p.tboot_banks.begin(), p.tboot_banks.end(), d.alg()) == p.tboot_banks.end())
          p.tboot_banks.push_back(d.alg());
    if (container && e.type == ev::kTxtHashStart) {
      const Digest input = hash(HashAlg::kSha1, e.data);
      if (e.digests.size() != 1 ||
          !(pcr_extend(Digest::zero(HashAlg::kSha1), input) == e.digests[0]))
        throw_bad_input(fmt::format("line {}: HASH_START record {} is not SHA1(0^20 || SHA1(its "
                                    "data)): the extend input is unknown",
                                    e.line, e.digests.empty() ? "-" : e.digests[0].hex()),
                        source);
      pe.digests = {input};
      pe.note = "the log records SinitHash = SHA1(0^20 || this); this is the extend input";
    }
    if (heap && e.type == ev::kTxtHashStart) {
      pe.sets = true;
      pe.note = "SinitMleData's SinitHash: PCR 17 after HASH_START (the ACM hash is not printed)";
    }
    p.events.push_back(std::move(pe));
  }
  if (mapping && *mapping > 1)
    throw_bad_input(fmt::format("PCR_MAPPING {} is neither legacy (0) nor DA (1)", *mapping),
                    source);
  // Without a PCR_MAPPING record: a TPM 1.2 log with COMBINED_HASH is legacy; TPM 2.0 is DA.
  bool combined = false;
  for (const auto& e : p.events) combined = combined || e.type == ev::kTxtCombinedHash;
  p.mapping =
      mapping ? (*mapping ? "da" : "legacy") : ((container || heap) && combined ? "legacy" : "da");
  if (p.events.empty()) throw_bad_input("the TXT event log has no SINIT events", source);
  return p;
}

std::string profile_to_toml(const TxtProfile& p) {
  std::string t;
  t += "# integral TXT platform profile: the SINIT events of a reference launch.\n";
  t +=
      "# role: platform = emitted as is by the sinit stage; mle = recomputed from the tboot MLE;\n";
  t += "# tboot = recomputed by the tboot stage (kept for reference).\n";
  t += "format = \"integral-txt-profile\"\nversion = 1\n";
  t += "source = " + quote(p.source) + "\n";
  t += "tpm = " + quote(p.tpm) + "\n";
  t += "mapping = " + quote(p.mapping) + "\n";
  t += "log_format = " + quote(p.log_format) + "\n";
  t += "banks = " + bank_list(p.banks) + "\n";
  t += "tboot_banks = " + bank_list(p.tboot_banks) + "\n";
  if (!p.tboot_version.empty()) t += "tboot_version = " + quote(p.tboot_version) + "\n";
  if (p.tboot_cmdline) t += "tboot_cmdline = " + quote(*p.tboot_cmdline) + "\n";
  if (!p.notes.empty()) {
    t += "notes = [\n";
    for (const auto& n : p.notes) t += "  " + quote(n) + ",\n";
    t += "]\n";
  }
  for (const auto& e : p.events) {
    t += "\n[[event]]\n";
    t += fmt::format("pcr = {}\ntype = 0x{:x}\n", e.pcr, e.type);
    auto name = txt_event_type_name(e.type);
    if (!name.empty()) t += "name = " + quote(name) + "\n";
    t += "role = " + quote(e.role) + "\n";
    if (e.line) t += fmt::format("line = {}\n", e.line);
    t += "data = " + quote(to_hex(e.data)) + "\n";
    for (const auto& d : e.digests)
      t += fmt::format("{} = {}\n", hash_alg_name(d.alg()), quote(d.hex()));
    if (e.sets) t += "sets = true\n";
    if (!e.note.empty()) t += "note = " + quote(e.note) + "\n";
  }
  return t;
}

namespace {

// Reads the fields of a parsed profile; failures name the file and line.
class ProfileReader {
 public:
  explicit ProfileReader(const std::string& file) : file_(file) {}

  [[noreturn]] void fail(const toml::node* n, const std::string& msg) const {
    throw_bad_input(n ? fmt::format("line {}: {}", n->source().begin.line, msg) : msg, file_);
  }

  std::optional<std::string> str(const toml::table& t, const char* key, bool required) const {
    const toml::node* n = t.get(key);
    if (!n) {
      if (required) fail(&t, fmt::format("needs '{}'", key));
      return std::nullopt;
    }
    if (!n->is_string()) fail(n, fmt::format("'{}' must be a string", key));
    return *n->value<std::string>();
  }

  std::vector<HashAlg> banks(const toml::table& root, const char* key) const {
    std::vector<HashAlg> out;
    const toml::node* n = root.get(key);
    if (!n || !n->is_array()) fail(n, fmt::format("needs '{}', an array of bank names", key));
    for (const auto& b : *n->as_array()) {
      auto name = b.value<std::string>();
      auto alg = name ? parse_hash_alg(*name) : std::nullopt;
      if (!alg) fail(&b, "unknown bank");
      out.push_back(*alg);
    }
    return out;
  }

  // One [[event]] table.
  ProfileEvent event(const toml::table& t) const {
    ProfileEvent e;
    auto pcr = t["pcr"].value<int64_t>();
    if (!pcr || *pcr < 0 || *pcr >= static_cast<int64_t>(kPcrCount)) fail(&t, "bad 'pcr'");
    e.pcr = static_cast<unsigned>(*pcr);
    auto type = t["type"].value<int64_t>();
    if (!type || *type < 0 || *type > 0xffffffff) fail(&t, "bad 'type'");
    e.type = static_cast<uint32_t>(*type);
    e.role = str(t, "role", false).value_or("platform");
    if (e.role != "platform" && e.role != "mle" && e.role != "tboot")
      fail(t.get("role"), "role must be platform, mle or tboot");
    auto data = from_hex(str(t, "data", false).value_or(""));
    if (!data) fail(t.get("data"), "data is not hex");
    e.data = std::move(*data);
    e.line = static_cast<uint64_t>(std::max<int64_t>(0, t["line"].value<int64_t>().value_or(0)));
    e.note = str(t, "note", false).value_or("");
    if (const toml::node* s = t.get("sets")) {
      if (!s->is_boolean()) fail(s, "'sets' must be true or false");
      e.sets = *s->value<bool>();
    }
    for (const auto& [key, v] : t) {
      auto alg = parse_hash_alg(key.str());
      if (!alg) continue;
      auto d = v.is_string() ? Digest::from_hex(*alg, *v.value<std::string>()) : std::nullopt;
      if (!d) fail(&v, fmt::format("'{}' is not {} hex digits", key.str(), 2 * digest_size(*alg)));
      e.digests.push_back(*d);
    }
    if (e.digests.empty()) fail(&t, "an event needs at least one digest");
    return e;
  }

 private:
  const std::string& file_;
};

}  // namespace

TxtProfile parse_profile(std::string_view text, const std::string& file) {
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    throw_bad_input(fmt::format("line {}: {}", e.source().begin.line, e.description()), file);
  }
  const ProfileReader r(file);
  if (r.str(root, "format", true) != "integral-txt-profile")
    r.fail(root.get("format"), "not an integral TXT profile");
  const toml::node* ver = root.get("version");
  if (!ver || ver->value<int64_t>() != 1) r.fail(ver, "unsupported profile version");
  TxtProfile p;
  p.source = r.str(root, "source", false).value_or("");
  p.tpm = *r.str(root, "tpm", true);
  if (p.tpm != "1.2" && p.tpm != "2.0") r.fail(root.get("tpm"), "tpm must be \"1.2\" or \"2.0\"");
  p.mapping = *r.str(root, "mapping", true);
  if (p.mapping != "legacy" && p.mapping != "da")
    r.fail(root.get("mapping"), "mapping must be \"legacy\" or \"da\"");
  p.log_format = r.str(root, "log_format", false).value_or("");
  p.banks = r.banks(root, "banks");
  p.tboot_banks = root.get("tboot_banks") ? r.banks(root, "tboot_banks") : std::vector<HashAlg>{};
  p.tboot_version = r.str(root, "tboot_version", false).value_or("");
  p.tboot_cmdline = r.str(root, "tboot_cmdline", false);
  if (const toml::node* n = root.get("notes")) {
    if (!n->is_array()) r.fail(n, "'notes' must be an array of strings");
    for (const auto& s : *n->as_array()) {
      if (!s.is_string()) r.fail(&s, "'notes' must be an array of strings");
      p.notes.push_back(*s.value<std::string>());
    }
  }
  const toml::node* events = root.get("event");
  if (!events || !events->is_array_of_tables()) r.fail(events, "needs [[event]] tables");
  for (const auto& n : *events->as_array()) p.events.push_back(r.event(*n.as_table()));
  return p;
}

TxtProfile load_profile(const std::filesystem::path& path) {
  return parse_profile(read_text_file(path, 16u << 20), path.string());
}

}  // namespace integral
