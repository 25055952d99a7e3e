#include "integral/eventlog/log_render.h"

#include <gtest/gtest.h>

#include "integral/chain/event_type.h"
#include "integral/chain/replay.h"
#include "integral/eventlog/event_log.h"
#include "integral/util/text.h"

namespace integral {
namespace {

// A SHA-1 format log (TCG_PCR_EVENT each), built byte by byte.
struct Sha1Log {
  std::vector<uint8_t> b;
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void event(uint32_t pcr, uint32_t type, const std::vector<uint8_t>& data) {
    u32(pcr), u32(type);
    b.insert(b.end(), 20, 0x11);
    u32(static_cast<uint32_t>(data.size()));
    b.insert(b.end(), data.begin(), data.end());
  }
  std::string yaml() const {
    EventLog log = parse_event_log(b, "t.log");
    return eventlog_yaml(log, replay(log.chain(), log.banks()));
  }
};

std::vector<uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

// UEFI_VARIABLE_DATA: GUID, name length (characters), data length, UTF-16LE name, data.
std::vector<uint8_t> variable(std::string_view name, std::vector<uint8_t> data) {
  std::vector<uint8_t> v(16, 0xab);
  auto u64 = [&](uint64_t x) {
    for (int i = 0; i < 8; ++i) v.push_back(static_cast<uint8_t>(x >> (8 * i)));
  };
  u64(name.size());
  u64(data.size());
  for (char c : name) v.push_back(static_cast<uint8_t>(c)), v.push_back(0);
  v.insert(v.end(), data.begin(), data.end());
  return v;
}

// The rendered Event field of the log's only event (from "  EventSize" to the PCRs).
std::string event_field(const std::vector<uint8_t>& data, uint32_t type) {
  Sha1Log l;
  l.event(4, type, data);
  std::string y = l.yaml();
  size_t a = y.find("  EventSize: ");
  size_t b = y.find("pcrs:");
  return y.substr(a, b - a);
}

TEST(LogRender, IplLinesAsTpm2Eventlog) {
  // Split on newlines; NUL, tab, quote and backslash as tpm2_eventlog escapes them; another
  // control byte (which YAML may not hold raw) as \xNN.
  EXPECT_EQ(event_field(bytes(std::string_view("a\tb\n\x01"
                                               "c\\'\0",
                                               9)),
                        0x0D),
            "  EventSize: 9\n  Event:\n    String: |-\n"
            R"(      "a\tb")"
            "\n"
            R"(      "\x01c\\\'\0")"
            "\n");
  // A trailing newline starts no further line.
  EXPECT_EQ(event_field(bytes("x\n"), 0x0D),
            "  EventSize: 2\n  Event:\n    String: |-\n      \"x\"\n");
}

// Bytes that are not UTF-8 and C1 controls in an IPL string: \xHH as for other control bytes,
// so the document stays valid UTF-8 (a YAML reader refuses it otherwise); valid UTF-8 is kept.
TEST(LogRender, IplLinesStayValidUtf8) {
  const std::string y = event_field(bytes("grub\xff\xc2\x85 \xc3\xa9"), 0x0D);
  EXPECT_TRUE(is_valid_utf8(y)) << y;
  EXPECT_EQ(y,
            "  EventSize: 10\n  Event:\n    String: |-\n"
            R"(      "grub\xff\x85 )"
            "\xc3\xa9\"\n");
}

TEST(LogRender, EfiActionLiteralBlockOnlyForPlainText) {
  EXPECT_EQ(event_field(bytes("Exit Boot Services Invocation"), 0x80000007),
            "  EventSize: 29\n  Event: |-\n    Exit Boot Services Invocation\n");
  // A leading blank would be lost in a literal block; a NUL may not appear in YAML: hex.
  EXPECT_EQ(event_field(bytes(" x"), 0x80000007), "  EventSize: 2\n  Event: \"2078\"\n");
  EXPECT_EQ(event_field({'x', 0}, 0x80000007), "  EventSize: 2\n  Event: \"7800\"\n");
}

TEST(LogRender, VariableNamesBareWhenYamlReadsThemBack) {
  EXPECT_NE(event_field(variable("Boot0001", {1}), 0x80000002).find("    UnicodeName: Boot0001\n"),
            std::string::npos);
  // Words YAML 1.1 reads as booleans or null, and names with blanks, are quoted.
  EXPECT_NE(event_field(variable("True", {}), 0x80000001).find("    UnicodeName: \"True\"\n"),
            std::string::npos);
  EXPECT_NE(event_field(variable("My Var", {}), 0x80000001).find("    UnicodeName: \"My Var\"\n"),
            std::string::npos);
}

TEST(LogRender, EmptyEventHasNoEventField) {
  EXPECT_EQ(event_field({}, 0x80000007), "  EventSize: 0\n");
}

TEST(LogRender, FirmwareBlobs) {
  std::vector<uint8_t> blob = {0x00, 0x10, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0};
  const std::string fields = "  Event:\n    BlobBase: 0x1000\n    BlobLength: 0x20\n";
  EXPECT_EQ(event_field(blob, 0x80000008), "  EventSize: 16\n" + fields);
  EXPECT_EQ(event_field(blob, 0x07), "  EventSize: 16\n" + fields);  // EV_S_CRTM_CONTENTS
  // Text is not a blob, whatever its type says.
  EXPECT_EQ(event_field(bytes("FIT Type 0x02 Measured S-CRTM"), 0x07).find("BlobBase"),
            std::string::npos);
  std::vector<uint8_t> blob2 = {3, 'a', 'b', 'c'};
  blob2.insert(blob2.end(), blob.begin(), blob.end());
  EXPECT_EQ(event_field(blob2, 0x8000000A),
            "  EventSize: 20\n  Event:\n    BlobDescriptionSize: 3\n    BlobDescription: "
            "\"616263\"\n    BlobBase: 0x1000\n    BlobLength: 0x20\n");
}

// A crypto-agile log (SHA-256 only) built by hand from the TCG PC Client layouts; the digests
// are arbitrary (rendering does not check them).
struct Log {
  std::vector<uint8_t> b;
  static void le(std::vector<uint8_t>& v, uint64_t x, int n) {
    for (int i = 0; i < n; ++i) v.push_back(static_cast<uint8_t>(x >> (8 * i)));
  }
  Log() {
    std::vector<uint8_t> spec;
    for (char c : std::string_view("Spec ID Event03\0", 16))
      spec.push_back(static_cast<uint8_t>(c));
    le(spec, 0, 4);                                        // platformClass
    spec.insert(spec.end(), {0, 2, 0, 2});                 // 2.0 errata 0, uintnSize 2
    le(spec, 1, 4), le(spec, 0x000b, 2), le(spec, 32, 2);  // one algorithm: sha256
    spec.push_back(0);                                     // vendorInfoSize
    le(b, 0, 4), le(b, ev::kNoAction, 4);
    b.insert(b.end(), 20, 0);
    le(b, spec.size(), 4);
    b.insert(b.end(), spec.begin(), spec.end());
  }
  void event(uint32_t pcr, uint32_t type, const std::vector<uint8_t>& data) {
    le(b, pcr, 4), le(b, type, 4), le(b, 1, 4), le(b, 0x000b, 2);
    b.insert(b.end(), 32, 0x5a);
    le(b, data.size(), 4);
    b.insert(b.end(), data.begin(), data.end());
  }
  // EV_EFI_BOOT_SERVICES_APPLICATION whose device path is one node and the end node.
  void image(uint8_t type, uint8_t sub, const std::vector<uint8_t>& node) {
    std::vector<uint8_t> path{type, sub};
    le(path, node.size() + 4, 2);
    path.insert(path.end(), node.begin(), node.end());
    path.insert(path.end(), {0x7f, 0xff, 0x04, 0x00});
    std::vector<uint8_t> d;
    le(d, 0x1000, 8), le(d, 0x2000, 8), le(d, 0, 8), le(d, path.size(), 8);
    d.insert(d.end(), path.begin(), path.end());
    event(4, ev::kEfiBootServicesApplication, d);
  }
};

std::vector<uint8_t> utf16(std::u16string_view s) {
  std::vector<uint8_t> out;
  for (char16_t c : s)
    out.push_back(static_cast<uint8_t>(c)), out.push_back(static_cast<uint8_t>(c >> 8));
  out.push_back(0), out.push_back(0);
  return out;
}

struct Rendered {
  std::string json, yaml, text;
};
Rendered render(const Log& l) {
  EventLog log = parse_event_log(l.b, "t.log", LogFormat::kTcg);
  PcrSet values = replay(log.chain(), log.banks());
  return {eventlog_json(log, values).dump(), eventlog_yaml(log, values),
          eventlog_text(log, values)};
}

// The fuzz_tcg_log finding: a URI device-path node holds raw bytes, so the description held
// bytes that are not UTF-8 and nlohmann's dump threw type_error 316.
TEST(LogRender, InvalidUtf8InEventTextIsWrittenAsHexEscapes) {
  Log l;
  l.image(0x03, 0x18, {'h', 't', 't', 'p', ':', '/', '/', 0xff, 0xfe, 'x'});
  Rendered r;
  ASSERT_NO_THROW(r = render(l));
  EXPECT_NE(r.json.find(R"~("description":"Uri(http://\\xff\\xfex)")~"), std::string::npos)
      << r.json;
  EXPECT_NE(r.yaml.find(R"~(DevicePath: "Uri(http://\\xff\\xfex)")~"), std::string::npos) << r.yaml;
  EXPECT_TRUE(is_valid_utf8(r.yaml));
  EXPECT_NE(r.text.find(R"~(Uri(http://\xff\xfex))~"), std::string::npos) << r.text;
}

// A name decoded from UTF-16 and clipped to the description's length is cut between characters.
TEST(LogRender, LongUtf16NamesAreClippedBetweenCharacters) {
  Log l;
  std::u16string name = u"x";
  for (int i = 0; i < 120; ++i) name += u'\u20ac';  // 3 bytes each in UTF-8: 1 + 3k never hits 240
  l.image(0x04, 0x04, utf16(name));
  Rendered r;
  ASSERT_NO_THROW(r = render(l));
  EXPECT_NE(r.json.find("x\u20ac\u20ac"), std::string::npos);
  EXPECT_EQ(r.json.find("\\\\x"), std::string::npos) << "no byte was cut out of a character";
}

// Control characters of untrusted names: escaped in text and YAML, JSON-escaped in JSON.
TEST(LogRender, ControlCharactersInNamesAreEscaped) {
  Log l;
  l.image(0x04, 0x04, utf16(u"\\EFI\x1b[2K\rPCR 7 sha256: match\u009b1m"));
  const Rendered r = render(l);
  for (const std::string* s : {&r.json, &r.yaml, &r.text}) {
    EXPECT_EQ(s->find('\x1b'), std::string::npos) << *s;
    EXPECT_EQ(s->find('\r'), std::string::npos) << *s;
  }
  // JSON may hold U+009B as it is (valid JSON, for machines); text and YAML may not.
  EXPECT_EQ(r.text.find("\xc2\x9b"), std::string::npos) << r.text;
  EXPECT_EQ(r.yaml.find("\xc2\x9b"), std::string::npos) << r.yaml;
  // The description (describe_event turns \r into a space) and YAML's own decoding of the path.
  EXPECT_NE(r.text.find(R"~(\EFI\x1b[2K PCR 7 sha256: match\u009b1m)~"), std::string::npos)
      << r.text;
  EXPECT_NE(r.yaml.find(R"~("\\EFI\x1b[2K\rPCR 7 sha256: match\x9b1m)~"), std::string::npos)
      << r.yaml;
  EXPECT_NE(r.json.find(R"~(\\EFI\u001b[2K PCR 7 sha256: match)~"), std::string::npos) << r.json;
}

// A quote in a file path cannot stand inside single quotes: the path is double-quoted.
TEST(LogRender, DevicePathWithAQuoteStaysValidYaml) {
  Log l;
  l.image(0x04, 0x04, utf16(u"\\EFI\\it's.efi"));
  const Rendered r = render(l);
  EXPECT_NE(r.yaml.find("DevicePath: \"\\\\EFI\\\\it's.efi\"\n"), std::string::npos) << r.yaml;
}

}  // namespace
}  // namespace integral
