#include "integral/eventlog/log_render.h"

#include <gtest/gtest.h>

#include "integral/chain/replay.h"
#include "integral/eventlog/event_log.h"

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

}  // namespace
}  // namespace integral
