#include "integral/eventlog/txt_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <sstream>

#include <nlohmann/json.hpp>

#include "integral/chain/event_type.h"
#include "integral/eventlog/tcg_log.h"
#include "integral/formats/txt_heap.h"
#include "integral/formats/txt_printout.h"
#include "integral/util/byte_reader.h"
#include "integral/util/bytes.h"
#include "integral/util/error.h"
#include "integral/util/json_io.h"
#include "integral/util/mapped_file.h"
#include "integral/util/number.h"
#include "integral/util/text.h"

namespace integral {

namespace {

constexpr char kContainerSig[20] = "TXT Event Container";  // with its NUL: 20 bytes
constexpr uint32_t kEvNoAction = 3;

void add_bank(TxtLog& log, HashAlg a) {
  if (std::find(log.banks.begin(), log.banks.end(), a) == log.banks.end()) log.banks.push_back(a);
}

bool all_zero(std::span<const uint8_t> s) {
  return std::all_of(s.begin(), s.end(), [](uint8_t b) { return b == 0; });
}

// A TPM 1.2-layout record (pcr, type, digest[ds], data_size, data) at `off`, within [off, end).
TxtLogEvent fixed_record(const ByteReader& r, uint64_t off, uint64_t end, HashAlg alg,
                         uint64_t& next) {
  const size_t ds = digest_size(alg);
  if (end - off < 12 + ds)
    r.fail(off, fmt::format("record header needs {} bytes, {} remain", 12 + ds, end - off));
  TxtLogEvent e;
  e.offset = off;
  e.pcr = r.u32(off, "PCR index");
  e.type = r.u32(off + 4, "event type");
  e.digests.emplace_back(alg, r.bytes(off + 8, ds, "digest"));
  const uint32_t size = r.u32(off + 8 + ds, "event data size");
  const uint64_t d = off + 12 + ds;
  if (size > end - d)
    r.fail(off + 8 + ds,
           fmt::format("event data size {} overruns the log ({} bytes remain)", size, end - d));
  auto b = r.bytes(d, size, "event data");
  e.data.assign(b.begin(), b.end());
  next = d + size;
  return e;
}

void check_pcr(const ByteReader& r, const TxtLogEvent& e) {
  if (e.pcr >= kPcrCount && e.pcr != 255)
    r.fail(*e.offset, fmt::format("PCR index {} is out of range (0-23, 255)", e.pcr));
}

}  // namespace

TxtLog parse_txt_container12(std::span<const uint8_t> data, const std::string& file) {
  ByteReader r(data, file);
  auto sig = r.bytes(0, 48, "TXT Event Container header");
  if (std::memcmp(sig.data(), kContainerSig, 20) != 0)
    r.fail(0, "not a TXT Event Container (signature)");
  const uint32_t size = r.u32(36, "Size");
  const uint32_t first = r.u32(40, "PCREventsOffset");
  const uint32_t next = r.u32(44, "NextEventOffset");
  if (first < 48) r.fail(40, fmt::format("PCREventsOffset {} is inside the 48-byte header", first));
  if (next < first)
    r.fail(44, fmt::format("NextEventOffset {} precedes PCREventsOffset {}", next, first));
  if (next > size)
    r.fail(44, fmt::format("NextEventOffset {} is beyond the container's Size {}", next, size));
  if (next > data.size())
    r.fail(44, fmt::format("NextEventOffset {} is beyond the file ({} bytes)", next, data.size()));
  TxtLog log;
  log.format = TxtLogFormat::kContainer12;
  add_bank(log, HashAlg::kSha1);
  for (uint64_t off = first, n = 0; off < next; off = n) {
    log.events.push_back(fixed_record(r, off, next, HashAlg::kSha1, n));
    check_pcr(r, log.events.back());
  }
  return log;
}

TxtLog parse_txt_intel_bank_log(std::span<const uint8_t> data, const std::string& file) {
  ByteReader r(data, file);
  TxtLog log;
  log.format = TxtLogFormat::kIntel20;
  HashAlg alg = HashAlg::kSha1;
  uint64_t off = 0;
  // The descriptor record of non-SHA-1 logs: PCR 0, EV_NO_ACTION, 20 zero bytes, 28 bytes of
  // tpm20_log_descr_t {signature[16], revision, digest_id, digest_size}.
  if (data.size() >= 60 && r.u32(0, "PCR") == 0 && r.u32(4, "type") == kEvNoAction &&
      all_zero(r.bytes(8, 20, "digest")) && r.u32(28, "size") == 28) {
    const uint32_t id = r.u32(52, "digest_id");
    static constexpr HashAlg kIds[] = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384,
                                       HashAlg::kSha512, HashAlg::kSm3_256};
    if (id < 1 || id > 5) r.fail(52, fmt::format("digest_id {} is not one of 1-5", id));
    alg = kIds[id - 1];
    const uint32_t ds = r.u32(56, "digest_size");
    if (ds != digest_size(alg))
      r.fail(56, fmt::format("digest_size {} does not match {} ({})", ds, hash_alg_name(alg),
                             digest_size(alg)));
    off = 60;
  }
  add_bank(log, alg);
  while (off < data.size()) {
    if (all_zero(data.subspan(static_cast<size_t>(off)))) break;  // the unused rest
    uint64_t n = 0;
    log.events.push_back(fixed_record(r, off, data.size(), alg, n));
    check_pcr(r, log.events.back());
    off = n;
  }
  return log;
}

TxtLog parse_txt_tcg_log(std::span<const uint8_t> data, const std::string& file) {
  ByteReader r(data, file);
  uint64_t off = 0;
  TxtLogEvent head = fixed_record(r, 0, data.size(), HashAlg::kSha1, off);
  if (head.pcr != 0 || head.type != kEvNoAction)
    r.fail(0, "not a TCG log: the first record is not PCR 0 EV_NO_ACTION");
  SpecId spec = parse_spec_id(head.data, file, 32);
  TxtLog log;
  log.format = TxtLogFormat::kTcg20;
  for (const auto& a : spec.algorithms)
    if (auto h = hash_alg_from_id(a.id)) add_bank(log, *h);
  while (off < data.size()) {
    if (all_zero(data.subspan(static_cast<size_t>(off)))) break;
    TxtLogEvent e;
    e.offset = off;
    e.pcr = r.u32(off, "PCR index");
    e.type = r.u32(off + 4, "event type");
    check_pcr(r, e);
    const uint32_t count = r.u32(off + 8, "digest count");
    if (count > spec.algorithms.size())
      r.fail(off + 8, fmt::format("digest count {} exceeds the {} algorithms of the Spec ID event",
                                  count, spec.algorithms.size()));
    uint64_t p = off + 12;
    for (uint32_t i = 0; i < count; ++i) {
      const uint16_t id = r.u16(p, "digest algorithm");
      auto it = std::find_if(spec.algorithms.begin(), spec.algorithms.end(),
                             [&](const SpecIdAlgorithm& a) { return a.id == id; });
      if (it == spec.algorithms.end())
        r.fail(p, fmt::format("digest algorithm {:#06x} is not in the Spec ID event", id));
      auto d = r.bytes(p + 2, it->digest_size, "digest");
      if (auto h = hash_alg_from_id(id); h && digest_size(*h) == it->digest_size)
        e.digests.emplace_back(*h, d);
      p += 2u + it->digest_size;
    }
    const uint32_t size = r.u32(p, "event size");
    if (size > data.size() - p - 4)
      r.fail(p, fmt::format("event size {} overruns the log ({} bytes remain)", size,
                            data.size() - p - 4));
    auto b = r.bytes(p + 4, size, "event data");
    e.data.assign(b.begin(), b.end());
    off = p + 4 + size;
    log.events.push_back(std::move(e));
  }
  return log;
}

TxtLog parse_txt_event_json(std::string_view text, const std::string& file) {
  // The list starts on the first line whose first non-blank character is '[' (a title or
  // header line before it may contain brackets of its own).
  size_t start = std::string_view::npos;
  for (size_t off = 0; off < text.size();) {
    size_t end = text.find('\n', off);
    if (end == std::string_view::npos) end = text.size();
    const size_t first = text.find_first_not_of(" \t\r", off);
    if (first < end && text[first] == '[') {
      start = first;
      break;
    }
    off = end + 1;
  }
  if (start == std::string_view::npos)
    throw_bad_input("no JSON event list (a line starting '[')", file);
  // One value; what follows it is not ours. Errors are reported from the list's first byte:
  // the offset is added back here.
  nlohmann::json j;
  try {
    j = parse_json_input(text.substr(start), file, true);
  } catch (const Error& e) {
    throw_bad_input(e.message(), file, start + e.offset().value_or(0));
  }
  TxtLog log;
  log.format = TxtLogFormat::kJson;
  auto bad = [&](const std::string& m) { throw_bad_input(m, file, start); };
  if (!j.is_array()) bad("the event list is not a JSON array");
  for (size_t k = 0; k < j.size(); ++k) {
    const auto& g = j[k];
    if (!g.is_object() || !g.contains("pcr") || !g["pcr"].is_object() ||
        !g["pcr"].contains("index") || !g["pcr"]["index"].is_number_unsigned() ||
        !g["pcr"].contains("bank") || !g["pcr"]["bank"].is_string() || !g.contains("tpm_events") ||
        !g["tpm_events"].is_array())
      bad(fmt::format("entry {}: expected {{\"pcr\": {{\"index\", \"bank\"}}, \"tpm_events\": []}}",
                      k));
    const uint64_t pcr = g["pcr"]["index"].get<uint64_t>();
    if (pcr >= kPcrCount) bad(fmt::format("entry {}: PCR {} is out of range", k, pcr));
    std::string bank = g["pcr"]["bank"].get<std::string>();
    for (auto& c : bank) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto alg = parse_hash_alg(bank);
    if (!alg) bad(fmt::format("entry {}: unknown bank '{}'", k, bank));
    add_bank(log, *alg);
    for (const auto& ev : g["tpm_events"]) {
      if (!ev.is_object() || !ev.contains("type_id") || !ev["type_id"].is_string() ||
          !ev.contains("measurement") || !ev["measurement"].is_string())
        bad(fmt::format("entry {}: an event lacks \"type_id\" or \"measurement\"", k));
      auto type = parse_uint(ev["type_id"].get<std::string>());
      if (!type || *type > 0xffffffffu)
        bad(fmt::format("entry {}: type_id '{}'", k, ev["type_id"].get<std::string>()));
      auto d = Digest::from_hex(*alg, ev["measurement"].get<std::string>());
      if (!d) bad(fmt::format("entry {}: measurement is not a {} digest", k, bank));
      TxtLogEvent e;
      e.pcr = static_cast<uint32_t>(pcr);
      e.type = static_cast<uint32_t>(*type);
      e.digests.push_back(*d);
      log.events.push_back(std::move(e));
    }
  }
  return log;
}

// ---------------------------------------------------------------------------------------------

namespace {

// tboot's "VL measurements:" printout: "PCR 17 (alg count 1):" then "alg 0004: c1 aa ..." lines.
std::vector<TxtLogEvent> vl_measurements(std::string_view text, const std::string& file) {
  auto lines = printout_lines(text);
  size_t i = lines.size();
  while (i-- > 0)
    if (lines[i].text == "VL measurements:") break;
  std::vector<TxtLogEvent> out;
  if (i >= lines.size()) return out;
  for (++i; i < lines.size();) {
    auto t = lines[i].text;
    unsigned pcr = 0, count = 0;
    if (!t.starts_with("PCR ") ||
        std::sscanf(std::string(t).c_str(), "PCR %u (alg count %u):", &pcr, &count) != 2)
      break;
    if (pcr >= kPcrCount || count > 8)
      throw_bad_input(fmt::format("VL measurement '{}' is out of range", t), file, lines[i].offset);
    TxtLogEvent e;
    e.pcr = pcr;
    e.type = ev::kTbootMeasurement;
    e.line = i + 1;
    ++i;
    for (unsigned k = 0; k < count; ++k, ++i) {
      unsigned id = 0;
      auto l = i < lines.size() ? lines[i].text : std::string_view{};
      auto colon = l.find(':');
      if (!l.starts_with("alg ") || colon == std::string_view::npos ||
          std::sscanf(std::string(l).c_str(), "alg %x:", &id) != 1)
        throw_bad_input(
            fmt::format("VL measurement of PCR {} lacks digest {} of {}", pcr, k + 1, count), file,
            i < lines.size() ? lines[i].offset : text.size());
      auto alg = hash_alg_from_id(static_cast<uint16_t>(id));
      std::string hex;
      for (char c : l.substr(colon + 1))
        if (c != ' ') hex.push_back(c);
      // tboot prints a fixed-size buffer: the digest, then zero padding.
      if (!alg || hex.size() < 2 * digest_size(*alg))
        throw_bad_input(fmt::format("VL digest '{}'", l), file, lines[i].offset);
      auto d = Digest::from_hex(*alg, hex.substr(0, 2 * digest_size(*alg)));
      if (!d) throw_bad_input(fmt::format("VL digest '{}'", l), file, lines[i].offset);
      e.digests.push_back(*d);
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

HeapLaunch reconstruct_txt_launch(std::string_view text, const std::string& file) {
  auto heap = parse_txt_heap_text(text, file);
  if (!heap.sinit_mle)
    throw_bad_input("no TXT event log and no SinitMleData printout to rebuild one from", file);
  const auto& s = *heap.sinit_mle;
  if (heap.os_sinit && (heap.os_sinit->capabilities & (1u << 5)))
    throw_bad_input("a DA-mapping launch without an event log cannot be rebuilt", file);
  if (std::all_of(s.sinit_hash.begin(), s.sinit_hash.end(), [](uint8_t b) { return b == 0; }))
    throw_bad_input(
        "SinitMleData's TPM 1.2 fields are zero (a TPM 2.0 launch?) and there is no "
        "event log to replay",
        file);
  HeapLaunch out;
  out.sinit_mle_data_version = s.version;
  out.pcr17_verified = s.version >= 8;
  TxtLog& log = out.log;
  log.format = TxtLogFormat::kHeap12;
  log.banks = {HashAlg::kSha1};
  auto record = [&](uint32_t pcr, uint32_t type, std::span<const uint8_t> digest, Bytes data = {}) {
    TxtLogEvent e;
    e.pcr = pcr;
    e.type = type;
    e.digests.emplace_back(HashAlg::kSha1, digest);
    e.data = std::move(data);
    log.events.push_back(std::move(e));
  };
  record(17, ev::kTxtHashStart, s.sinit_hash);
  std::string c;
  c.append(s.bios_acm_id.begin(), s.bios_acm_id.end());
  append_le64(c, s.mseg_valid);
  c.append(s.stm_hash.begin(), s.stm_hash.end());
  append_le32(c, s.lcp_policy_control);
  c.append(s.lcp_policy_hash.begin(), s.lcp_policy_hash.end());
  // The capabilities count only with the PolicyControl "SINIT capabilities in PCR 17" bit
  // (bit 2 in Intel's lcp-gen2); not seen set in any vector.
  const uint32_t caps =
      (s.lcp_policy_control & 0x4) && heap.os_sinit ? heap.os_sinit->capabilities : 0;
  if (s.lcp_policy_control & 0x4) out.pcr17_verified = false;
  append_le32(c, caps);
  if (s.proc_scrtm_status) append_le32(c, *s.proc_scrtm_status);
  const Bytes cb(c.begin(), c.end());
  const Digest ch = hash(HashAlg::kSha1, cb);
  record(17, ev::kTxtCombinedHash, ch.bytes(), cb);
  record(18, ev::kTxtMleHash, s.mle_hash);
  for (auto& e : vl_measurements(text, file)) log.events.push_back(std::move(e));
  return out;
}

LoadedTxtLog parse_txt_text(std::string_view s, const std::string& name) {
  LoadedTxtLog out;
  if (s.find("\"tpm_events\"") != std::string_view::npos) {
    out.log = parse_txt_event_json(s, name);
  } else if (s.find("Event Log Container:") != std::string_view::npos ||
             s.find("TCG Event Log Header:") != std::string_view::npos) {
    out.log = parse_txt_stat(s, name);
  } else if (s.find("sinit_mle_data (@") != std::string_view::npos) {
    auto h = reconstruct_txt_launch(s, name);
    out.log = std::move(h.log);
    out.notes.push_back(fmt::format(
        "no event log in the output: the legacy events are rebuilt from SinitMleData v{} and "
        "tboot's VL measurements",
        h.sinit_mle_data_version));
    if (!h.pcr17_verified)
      out.notes.push_back(fmt::format(
          "PCR 17 is inferred, not verified: for SinitMleData v{} HASH_START = sinit_hash and a "
          "{}-byte COMBINED_HASH are assumed (established on v8 only)",
          h.sinit_mle_data_version, h.sinit_mle_data_version >= 8 ? 80 : 76));
  } else {
    throw_bad_input("not a TXT event log (container, TCG, Intel per-bank, JSON, txt-stat text)",
                    name);
  }
  return out;
}

LoadedTxtLog load_txt_log(const std::vector<std::filesystem::path>& files) {
  if (files.empty()) throw_usage("no log file");
  LoadedTxtLog out;
  std::vector<TxtLog> banks;
  for (const auto& f : files) {
    MappedFile in(f, MappedFile::NonRegular::kRefuse);
    auto b = in.bytes();
    const std::string name = in.path();
    const std::string_view s(reinterpret_cast<const char*>(b.data()), b.size());
    const bool text = std::memchr(b.data(), 0, std::min<size_t>(b.size(), 4096)) == nullptr;
    if (b.size() >= 20 && std::memcmp(b.data(), kContainerSig, 20) == 0) {
      out.log = parse_txt_container12(b, name);
    } else if (!text) {
      // TCG when the first record carries a Spec ID event; else Intel per-bank.
      const bool tcg = b.size() >= 47 && std::memcmp(b.data() + 32, "Spec ID Event03", 15) == 0;
      if (tcg) {
        out.log = parse_txt_tcg_log(b, name);
      } else {
        banks.push_back(parse_txt_intel_bank_log(b, name));
        continue;
      }
    } else {
      out = parse_txt_text(s, name);
    }
    if (files.size() > 1)
      throw_usage("several files are only for TPM 2.0 Intel per-bank logs (one file per bank)");
  }
  if (!banks.empty()) {
    out.log = TxtLog{};
    out.log.format = TxtLogFormat::kIntel20;
    for (auto& l : banks) {
      for (auto a : l.banks) {
        if (std::find(out.log.banks.begin(), out.log.banks.end(), a) != out.log.banks.end())
          throw_usage(fmt::format("two {} logs given", hash_alg_name(a)));
        out.log.banks.push_back(a);
      }
      for (auto& e : l.events) out.log.events.push_back(std::move(e));
    }
  }
  return out;
}

std::optional<KnownMismatch> known_mismatch(const TxtLog& log) {
  // Vector E of the research notes: Intel Whitley CRB (CBnT), tboot 1.10.2; the reporter's TPM
  // PCR 17 did not equal the replay of this log and the thread ended without an answer. Known by
  // its SINIT's SHA-256 HASH_START digest and its CBnT key-manifest hash.
  struct Known {
    uint32_t type;
    const char* sha256;
  };
  static constexpr Known kWhitley[] = {
      {ev::kTxtHashStart, "6db65fd59fd356f6729140571b5bcd6bb3b83492a16e1bf0a3884442fc3c8a0e"},
      {0x416, "ddf99252348d781acb788d303385a22f9cbfe05f26ca9d29327a082b298e43ff"}};
  auto has = [&](const Known& k) {
    return std::any_of(log.events.begin(), log.events.end(), [&](const TxtLogEvent& e) {
      return e.type == k.type &&
             std::any_of(e.digests.begin(), e.digests.end(), [&](const Digest& d) {
               return d.alg() == HashAlg::kSha256 && d.hex() == k.sha256;
             });
    });
  };
  if (std::all_of(std::begin(kWhitley), std::end(kWhitley), has)) {
    return KnownMismatch{
        {17},
        "PCR 17 of this launch is known not to match its TPM: a launch with this SINIT and CBnT "
        "key manifest (Intel Whitley CRB, tboot 1.10.2) was reported on tboot-devel (\"PCR17 "
        "Replay Issue\", 2021-12-01) to replay to a PCR 17 other than the TPM's, without a "
        "resolution; the TPM's value is not in the log, so this replay of PCR 17 is not to be "
        "trusted"};
  }
  return std::nullopt;
}

Chain txt_log_chain(const TxtLog& log, const std::string& file) {
  Chain c;
  c.dynamic_launch = true;
  for (const auto& e : log.events) {
    if (e.pcr >= kPcrCount) continue;
    Event ev;
    ev.pcr = e.pcr;
    ev.type = e.type;
    ev.digests = e.digests;
    ev.data = e.data;
    auto name = txt_event_type_name(e.type);
    ev.description = name.empty() ? fmt::format("TXT event {:#x}", e.type) : std::string(name);
    ev.provenance.artifact = file;
    ev.provenance.rule = fmt::format("line {}", e.line);
    if (log.format == TxtLogFormat::kContainer12 && e.type == ev::kTxtHashStart &&
        e.digests.size() == 1) {
      const Digest input = hash(HashAlg::kSha1, e.data);
      if (pcr_extend(Digest::zero(HashAlg::kSha1), input) == e.digests[0]) {
        ev.digests = {input};
        ev.description += " (extend input SHA1(data); the log records the resulting SinitHash)";
      } else {
        ev.description += " (WARNING: the recorded SinitHash is not SHA1(0^20 || SHA1(data)))";
      }
    }
    if (log.format == TxtLogFormat::kHeap12 && e.type == ev::kTxtHashStart) {
      ev.sets = true;
      ev.description += " (SinitMleData's SinitHash: PCR 17's value after it)";
    }
    c.events.push_back(std::move(ev));
  }
  return c;
}

}  // namespace integral
