#include "integral/eventlog/log_render.h"

#include <gtest/gtest.h>

#include "integral/chain/event_type.h"
#include "integral/chain/replay.h"
#include "integral/eventlog/event_log.h"
#include "integral/util/text.h"

namespace integral {
namespace {

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

}  // namespace
}  // namespace integral
