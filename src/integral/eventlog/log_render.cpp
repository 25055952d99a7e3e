#include "integral/eventlog/log_render.h"

#include <fmt/format.h>

#include <span>
#include <string_view>

#include "integral/chain/event_type.h"
#include "integral/chain/replay.h"
#include "integral/eventlog/event_data_text.h"
#include "integral/util/hex.h"
#include "integral/util/text.h"

namespace integral {

namespace {

// One escaping rule for YAML text, two dialects: each byte `named` gives its escape; C1
// controls (U+0080-U+009F), other C0 bytes and DEL, which a YAML document may not hold raw, and
// bytes that are not part of valid UTF-8 become \xHH; everything else is kept.
struct NamedEscape {
  char c;
  std::string_view escape;
};

void append_yaml_escaped(std::string& out, std::string_view text,
                         std::span<const NamedEscape> named) {
  for (size_t i = 0; i < text.size();) {
    char32_t cp = 0;
    const size_t n = utf8_sequence(text, i, cp);
    if (n == 0 || (cp >= 0x80 && cp <= 0x9f)) {
      out += fmt::format("\\x{:02x}", n == 0 ? static_cast<unsigned char>(text[i]) : cp);
      i += n == 0 ? 1 : n;
      continue;
    }
    if (n > 1) {
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    const char c = text[i++];
    const NamedEscape* e = nullptr;
    for (const auto& x : named)
      if (x.c == c) e = &x;
    if (e)
      out += e->escape;
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else
      out += c;
  }
}

// A YAML double-quoted scalar: safe for any bytes of untrusted text.
constexpr NamedEscape kQuotedEscapes[] = {
    {'"', "\\\""}, {'\\', "\\\\"}, {'\n', "\\n"}, {'\t', "\\t"}, {'\r', "\\r"}};

std::string yaml_quoted(std::string_view raw) {
  std::string out = "\"";
  // Bytes that are not UTF-8 become json_safe's \xHH text first: the string --json writes.
  append_yaml_escaped(out, json_safe(raw), kQuotedEscapes);
  return out + "\"";
}

// A name printed bare, as tpm2_eventlog prints UEFI variable names, when YAML reads it back as
// the same string; anything else (odd bytes, words YAML reads as booleans or null) is quoted.
std::string yaml_name(std::string_view s) {
  static constexpr std::string_view kWords[] = {"true", "false", "yes", "no", "on",
                                                "off",  "null",  "y",   "n"};
  bool plain = !s.empty() && ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'));
  for (char c : s)
    plain = plain && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-');
  for (std::string_view w : kWords) {
    if (!plain || s.size() != w.size()) continue;
    bool same = true;
    for (size_t i = 0; i < s.size(); ++i) same = same && (s[i] | 0x20) == w[i];
    plain = !same;
  }
  return plain ? std::string(s) : yaml_quoted(s);
}

// Printable ASCII on one line, not starting with a blank: safe as the single line of a YAML
// literal block or inside single quotes.
bool one_line_text(std::span<const uint8_t> d) {
  if (d.empty() || d[0] == ' ') return false;
  for (uint8_t c : d)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

// tpm2_eventlog's EV_IPL string: split on newlines, each line between double quotes inside a
// literal block, NUL and C control escapes written as backslash sequences (the block keeps them
// literally). Other control bytes, which a YAML document may not hold raw, and bytes that are
// not UTF-8, as \xNN.
constexpr NamedEscape kIplEscapes[] = {{'\0', "\\0"}, {'\a', "\\a"}, {'\b', "\\b"}, {'\t', "\\t"},
                                       {'\v', "\\v"}, {'\f', "\\f"}, {'\r', "\\r"}, {'\x1b', "\\e"},
                                       {'\'', "\\'"}, {'\\', "\\\\"}};

std::string ipl_lines(std::span<const uint8_t> d) {
  const std::string_view text(reinterpret_cast<const char*>(d.data()), d.size());
  std::string out;
  size_t i = 0;
  do {
    size_t end = text.find('\n', i);
    if (end == std::string_view::npos) end = text.size();
    out += "      \"";
    append_yaml_escaped(out, text.substr(i, end - i), kIplEscapes);
    out += "\"\n";
    i = end + 1;
  } while (i < d.size());
  return out;
}

std::string blob(std::span<const uint8_t> d) {
  uint64_t base = 0, len = 0;
  for (int i = 7; i >= 0; --i) base = (base << 8) | d[static_cast<size_t>(i)];
  for (int i = 15; i >= 8; --i) len = (len << 8) | d[static_cast<size_t>(i)];
  return fmt::format("    BlobBase: {:#x}\n    BlobLength: {:#x}\n", base, len);
}

std::string spec_id_alg_name(uint16_t id) {
  if (auto a = hash_alg_from_id(id)) return std::string(hash_alg_name(*a));
  return fmt::format("{:#06x}", id);
}

// The decoded "Event:" field, indented under an event, in tpm2_eventlog's (5.4, default
// version 1) layout: what it decodes is decoded the same way, the rest is hex.
std::string yaml_event_body(const Event& e) {
  const uint32_t type = *e.type;
  std::span<const uint8_t> d = e.data;
  if (d.empty()) return {};  // tpm2_eventlog prints no Event field for empty event data
  switch (type) {
    case ev::kEfiVariableDriverConfig:
    case ev::kEfiVariableBoot:
    case ev::kEfiVariableBoot2:
    case ev::kEfiVariableAuthority:
      if (auto v = parse_uefi_variable(d)) {
        std::string out = "  Event:\n";
        out += fmt::format("    VariableName: {}\n", v->guid);
        out += fmt::format("    UnicodeNameLength: {}\n", v->name_length);
        out += fmt::format("    VariableDataLength: {}\n", v->data_length);
        out += fmt::format("    UnicodeName: {}\n", yaml_name(v->name));
        if (!v->data.empty()) out += fmt::format("    VariableData: \"{}\"\n", to_hex(v->data));
        return out;
      }
      break;
    case ev::kEfiBootServicesApplication:
    case ev::kEfiBootServicesDriver:
    case ev::kEfiRuntimeServicesDriver:
      if (auto l = parse_image_load(d)) {
        std::string out = "  Event:\n";
        out += fmt::format("    ImageLocationInMemory: {:#x}\n", l->location);
        out += fmt::format("    ImageLengthInMemory: {}\n", l->length);
        out += fmt::format("    ImageLinkTimeAddress: {:#x}\n", l->link_address);
        out += fmt::format("    LengthOfDevicePath: {}\n", l->device_path_length);
        // Single quotes as tpm2_eventlog built with efivar writes the text form (backslashes
        // stay literal); text that single quotes cannot hold is double-quoted and escaped.
        const std::string path = describe_device_path(l->device_path);
        const auto* p = reinterpret_cast<const uint8_t*>(path.data());
        if (path.empty() ||
            (one_line_text({p, path.size()}) && path.find('\'') == std::string::npos))
          out += fmt::format("    DevicePath: '{}'\n", path);
        else
          out += fmt::format("    DevicePath: {}\n", yaml_quoted(path));
        return out;
      }
      break;
    case 0x01:  // EV_POST_CODE: a firmware blob, or a string such as "ACPI DATA"
      if (d.size() == 16) return "  Event:\n" + blob(d);
      if (one_line_text(d))
        return fmt::format("  Event: |-\n    {}\n", std::string(d.begin(), d.end()));
      break;
    case 0x07:  // EV_S_CRTM_CONTENTS
    case ev::kEfiPlatformFirmwareBlob:
      if (d.size() == 16) return "  Event:\n" + blob(d);
      break;
    case ev::kEfiPlatformFirmwareBlob2:  // u8 size, description, blob
      if (d.size() >= 1u + d[0] + 16u) {
        const size_t n = d[0];
        return fmt::format("  Event:\n    BlobDescriptionSize: {}\n    BlobDescription: \"{}\"\n",
                           n, to_hex(d.subspan(1, n))) +
               blob(d.subspan(1 + n, 16));
      }
      break;
    case ev::kEfiAction:
      if (one_line_text(d))
        return fmt::format("  Event: |-\n    {}\n", std::string(d.begin(), d.end()));
      break;
    case ev::kIpl:
      return "  Event:\n    String: |-\n" + ipl_lines(d);
    default:
      break;
  }
  return fmt::format("  Event: \"{}\"\n", to_hex(d));
}

void yaml_spec_id(std::string& out, const SpecId& s) {
  out += "  SpecID:\n";
  const bool plain = !s.signature.empty() &&
                     s.signature.find_first_not_of(
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789 ") == std::string::npos &&
                     s.signature.front() != ' ' && s.signature.back() != ' ';
  out += fmt::format("  - Signature: {}\n", plain ? s.signature : yaml_quoted(s.signature));
  out += fmt::format("    platformClass: {}\n", s.platform_class);
  out += fmt::format("    specVersionMinor: {}\n", s.version_minor);
  out += fmt::format("    specVersionMajor: {}\n", s.version_major);
  out += fmt::format("    specErrata: {}\n", s.errata);
  out += fmt::format("    uintnSize: {}\n", s.uintn_size);
  out += fmt::format("    numberOfAlgorithms: {}\n", s.algorithms.size());
  out += "    Algorithms:\n";
  for (size_t i = 0; i < s.algorithms.size(); ++i) {
    out += fmt::format("    - Algorithm[{}]:\n", i);
    out += fmt::format("      algorithmId: {}\n", spec_id_alg_name(s.algorithms[i].id));
    out += fmt::format("      digestSize: {}\n", s.algorithms[i].digest_size);
  }
  out += fmt::format("    vendorInfoSize: {}\n", s.vendor_info.size());
  if (!s.vendor_info.empty()) out += fmt::format("    vendorInfo: \"{}\"\n", to_hex(s.vendor_info));
}

}  // namespace

std::string eventlog_yaml(const EventLog& log, const PcrSet& final_values) {
  std::string out = "---\nversion: 1\nevents:\n";
  const Chain& chain = log.chain();
  for (size_t i = 0; i < chain.events.size(); ++i) {
    const Event& e = chain.events[i];
    out +=
        fmt::format("- EventNum: {}\n  PCRIndex: {}\n  EventType: {}\n", i, e.pcr, e.type_name());
    const bool spec_header = i == 0 && log.tcg.spec_id;
    if (spec_header) {
      out += fmt::format("  Digest: \"{}\"\n", e.digests.at(0).hex());
    } else {
      out += fmt::format("  DigestCount: {}\n  Digests:\n", e.digests.size());
      for (const Digest& d : e.digests)
        out += fmt::format("  - AlgorithmId: {}\n    Digest: \"{}\"\n", hash_alg_name(d.alg()),
                           d.hex());
    }
    out += fmt::format("  EventSize: {}\n", e.data.size());
    if (spec_header)
      yaml_spec_id(out, *log.tcg.spec_id);
    else if (e.type)
      out += yaml_event_body(e);
  }
  out += "pcrs:\n";
  const PcrSelection touched = touched_pcrs(chain, log.banks());
  for (HashAlg alg : log.banks()) {
    std::string bank;
    for (unsigned pcr = 0; pcr < kPcrCount; ++pcr)
      if (touched.contains(alg, pcr))
        bank += fmt::format("    {:<2} : 0x{}\n", pcr, final_values.get(alg, pcr).hex());
    if (!bank.empty()) out += fmt::format("  {}:\n{}", hash_alg_name(alg), bank);
  }
  return out;
}

nlohmann::ordered_json eventlog_json(const EventLog& log, const PcrSet& final_values) {
  nlohmann::ordered_json j;
  j["file"] = json_safe(log.file);
  j["format"] = log.format_name();
  std::vector<std::string> banks;
  for (HashAlg a : log.banks()) banks.emplace_back(hash_alg_name(a));
  j["banks"] = banks;
  if (log.tcg.spec_id) {
    const SpecId& s = *log.tcg.spec_id;
    auto& js = j["spec_id"];
    js["signature"] = json_safe(s.signature);
    js["platform_class"] = s.platform_class;
    js["version"] = fmt::format("{}.{} errata {}", s.version_major, s.version_minor, s.errata);
    js["uintn_size"] = s.uintn_size;
    js["algorithms"] = nlohmann::ordered_json::array();
    for (const auto& a : s.algorithms)
      js["algorithms"].push_back(
          {{"id", a.id}, {"name", spec_id_alg_name(a.id)}, {"digest_size", a.digest_size}});
  }
  j["startup_locality"] = log.chain().startup_locality;
  if (pcr0_starts_by_hcrtm(log.chain()))
    j["pcr0_start"] = "H-CRTM event first (PC Client PFP): locality 4";
  auto& events = j["events"] = nlohmann::ordered_json::array();
  const Chain& chain = log.chain();
  for (size_t i = 0; i < chain.events.size(); ++i) {
    const Event& e = chain.events[i];
    nlohmann::ordered_json je;
    je["index"] = i;
    je["offset"] = e.provenance.offset ? nlohmann::ordered_json(*e.provenance.offset)
                                       : nlohmann::ordered_json(nullptr);
    je["pcr"] = e.pcr;
    je["type"] = e.type ? nlohmann::ordered_json(*e.type) : nlohmann::ordered_json(nullptr);
    je["type_name"] = e.type_name();
    je["extends"] = e.extends();
    auto& jd = je["digests"] = nlohmann::ordered_json::object();
    for (const Digest& d : e.digests) jd[std::string(hash_alg_name(d.alg()))] = d.hex();
    je["description"] = json_safe(e.description);
    je["data"] = to_hex(e.data);
    if (!e.provenance.rule.empty()) je["rule"] = json_safe(e.provenance.rule);
    events.push_back(std::move(je));
  }
  auto& pcrs = j["pcrs"] = nlohmann::ordered_json::object();
  const PcrSelection touched = touched_pcrs(chain, log.banks());
  for (HashAlg alg : log.banks()) {
    auto& b = pcrs[std::string(hash_alg_name(alg))] = nlohmann::ordered_json::object();
    for (unsigned pcr = 0; pcr < kPcrCount; ++pcr)
      if (touched.contains(alg, pcr)) b[std::to_string(pcr)] = final_values.get(alg, pcr).hex();
  }
  return j;
}

std::string eventlog_text(const EventLog& log, const PcrSet& final_values) {
  const Chain& chain = log.chain();
  std::string banks;
  for (HashAlg a : log.banks())
    banks += (banks.empty() ? "" : ", ") + std::string(hash_alg_name(a));
  std::string out = fmt::format("{}: {}, {} events, banks {}", escape_terminal(log.file),
                                log.format_name(), chain.events.size(), banks);
  if (pcr0_starts_by_hcrtm(chain))
    out += ", PCR 0 starts at 0...04: H-CRTM event first (PC Client PFP)";
  else if (chain.startup_locality)
    out += fmt::format(", StartupLocality {}", chain.startup_locality);
  out += "\n";
  for (size_t i = 0; i < chain.events.size(); ++i) {
    const Event& e = chain.events[i];
    out += fmt::format("#{:<4} PCR {:<2} {:<32} {}\n", i, e.pcr, e.type_name(),
                       escape_terminal(e.description));
    for (const Digest& d : e.digests)
      out += fmt::format("        {:<7} {}\n", hash_alg_name(d.alg()), d.hex());
  }
  out += "PCR  bank     value\n";
  const PcrSelection touched = touched_pcrs(chain, log.banks());
  for (unsigned pcr = 0; pcr < kPcrCount; ++pcr)
    for (HashAlg alg : log.banks())
      if (touched.contains(alg, pcr))
        out += fmt::format("{:>3}  {:<7}  {}\n", pcr, hash_alg_name(alg),
                           final_values.get(alg, pcr).hex());
  return out;
}

}  // namespace integral
