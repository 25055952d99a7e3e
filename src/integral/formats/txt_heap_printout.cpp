// TXT heap text: the heap as tboot's heap.c prints it (txt-stat shows tboot's log the same
// way), read into the same TxtHeap the binary reader gives (txt_heap.cpp).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <variant>

#include "integral/formats/txt_heap.h"
#include "integral/formats/txt_printout.h"
#include "integral/util/error.h"
#include "integral/util/number.h"
#include "integral/util/text.h"

namespace integral {

namespace {

class TextParser : public PrintoutReader {
 public:
  using PrintoutReader::PrintoutReader;

  // "key: value" -> (key, value); nullopt when the line has no ": ".
  static std::optional<std::pair<std::string_view, std::string_view>> kv(std::string_view t) {
    auto c = t.find(':');
    if (c == std::string_view::npos) return std::nullopt;
    return std::pair{trim(t.substr(0, c)), trim(t.substr(c + 1))};
  }

  // A printed number: "0x1f (31)", "7", "0x00000402"; hex only when prefixed, unless `hex`.
  uint64_t number(size_t i, std::string_view v, bool hex = false) const {
    auto sp = v.find(' ');
    if (sp != std::string_view::npos) v = v.substr(0, sp);
    std::optional<uint64_t> n;
    if (hex && !v.starts_with("0x")) {
      n = parse_uint(fmt::format("0x{}", v));
    } else {
      n = parse_uint(v);
    }
    if (!n) fail(i, fmt::format("'{}' is not a number", v));
    return *n;
  }
  uint32_t number32(size_t i, std::string_view v) const {
    const uint64_t n = number(i, v);
    if (n > 0xffffffffu) fail(i, fmt::format("{} does not fit 32 bits", n));
    return static_cast<uint32_t>(n);
  }

  std::array<uint8_t, 20> hash_line(size_t i) const {
    if (i >= lines_.size() || !is_hex_line(lines_[i].text)) fail(i, "expected 20 hex bytes");
    std::string compact;
    for (char c : lines_[i].text)
      if (c != ' ') compact.push_back(c);
    auto b = from_hex(compact);
    if (!b || b->size() != 20) fail(i, "expected 20 hex bytes");
    std::array<uint8_t, 20> out{};
    std::copy(b->begin(), b->end(), out.begin());
    return out;
  }

  // The last line index whose text starts with `prefix`.
  std::optional<size_t> last(std::string_view prefix) const {
    for (size_t i = lines_.size(); i-- > 0;)
      if (lines_[i].text.starts_with(prefix)) return i;
    return std::nullopt;
  }

  // "bios_data (@0xb9f20008, 0x56):" -> region (address, size).
  HeapRegion region_header(size_t i) const {
    auto t = lines_[i].text;
    auto a = t.find("(@"), c = t.find(','), e = t.find(')');
    if (a == std::string_view::npos || c == std::string_view::npos || e == std::string_view::npos ||
        !(a < c && c < e))
      fail(i, "expected '(@ADDRESS, SIZE)'");
    HeapRegion r;
    r.offset = number(i, trim(t.substr(a + 2, c - a - 2)), true);
    r.size = number(i, trim(t.substr(c + 1, e - c - 1)), true);
    return r;
  }

  // Lines of an event log printed inside an element: not heap fields.
  static bool log_line(std::string_view t) {
    static constexpr std::string_view kWords[] = {"Event Log Container:",
                                                  "Signature:",
                                                  "ContainerVer:",
                                                  "PCREventVer:",
                                                  "Size:",
                                                  "EventsOffset:",
                                                  "Event:",
                                                  "PCRIndex:",
                                                  "Type:",
                                                  "Digest:",
                                                  "Data:",
                                                  "TCG Event Log",
                                                  "pcr_index:",
                                                  "event_type:",
                                                  "digest:",
                                                  "event_data_size:",
                                                  "header event data:",
                                                  "signature:",
                                                  "platform_class:",
                                                  "spec_version_",
                                                  "spec_errata:",
                                                  "uintn_size:",
                                                  "number_of_algorithms:",
                                                  "algorithm_id:",
                                                  "digest_size:",
                                                  "vendor_info:",
                                                  "TCG Event:",
                                                  "count:",
                                                  "SHA1:",
                                                  "SHA256:",
                                                  "SHA384:",
                                                  "SHA512:",
                                                  "SM3_256:",
                                                  "event_data:",
                                                  "No Event Log",
                                                  "Log Descrption:",
                                                  "Alg:",
                                                  "allcoated_event_container_size:",
                                                  "Wrong Event Log."};
    if (t.empty() || is_hex_line(t)) return true;
    return std::any_of(std::begin(kWords), std::end(kWords),
                       [&](std::string_view w) { return t.starts_with(w); });
  }

  // The value of "key: value" at line j; fails when line j has another key.
  std::string_view field(size_t j, std::string_view key) const {
    auto p = j < lines_.size() ? kv(lines_[j].text) : std::nullopt;
    if (!p || p->first != key) fail(j, fmt::format("expected '{}:'", key));
    return p->second;
  }

  // Each reader takes the element whose header is at line i and returns the line after it.
  size_t ext_bios_spec_ver(size_t i, HeapExtElement& e) const {
    e.type = kHeapExtBiosSpecVer;
    e.size = 14;
    e.spec_major = static_cast<uint16_t>(number(i + 1, field(i + 1, "major")) & 0xffff);
    e.spec_minor = static_cast<uint16_t>(number(i + 2, field(i + 2, "minor")) & 0xffff);
    e.spec_rev = static_cast<uint16_t>(number(i + 3, field(i + 3, "rev")) & 0xffff);
    return i + 4;
  }

  size_t ext_acm(size_t i, HeapExtElement& e) const {
    e.type = kHeapExtAcm;
    const uint64_t count = number(i + 1, field(i + 1, "num_acms"));
    i += 2;
    // Addresses are taken as printed; the count may not claim more than there are.
    for (uint64_t k = 0; k < count; ++k, ++i) {
      auto p = i < lines_.size() ? kv(lines_[i].text) : std::nullopt;
      if (!p || p->first != fmt::format("acm_addrs[{}]", k))
        fail(i, fmt::format("num_acms is {} but {} addresses are printed", count, k));
      e.acm_addrs.push_back(number(i, p->second));
    }
    e.size = static_cast<uint32_t>(12 + 8 * e.acm_addrs.size());
    return i;
  }

  size_t ext_custom(size_t i, HeapExtElement& e) const {
    e.type = kHeapExtCustom;
    e.size = number32(i + 1, field(i + 1, "size"));
    i += 2;
    if (i < lines_.size() && lines_[i].text.starts_with("uuid:")) ++i;
    return i;
  }

  size_t ext_tpm_event_log_ptr(size_t i, HeapExtElement& e) const {
    e.type = kHeapExtTpmEventLogPtr;
    e.size = number32(i + 1, field(i + 1, "size"));
    e.event_log_addr = number(i + 2, field(i + 2, "elog_addr"));
    return i + 3;
  }

  size_t ext_event_log_ptr2(size_t i, HeapExtElement& e) const {
    e.type = kHeapExtEventLogPtr2;
    e.size = number32(i + 1, field(i + 1, "size"));
    i += 3;  // count: the descriptors follow as "Log Descrption:" blocks
    while (i < lines_.size() && lines_[i].text == "Log Descrption:") {
      HeapEventLogDescr l;
      l.alg = static_cast<uint16_t>(number(i + 1, field(i + 1, "Alg")) & 0xffff);
      l.size = number32(i + 2, field(i + 2, "Size"));
      events_offsets(i + 3, field(i + 3, "EventsOffset"), l.pcr_events_offset, l.next_event_offset);
      e.logs.push_back(l);
      i += 4;
      while (i < lines_.size() && log_line(lines_[i].text) && lines_[i].text != "Log Descrption:")
        ++i;
    }
    return i;
  }

  size_t ext_event_log_ptr21(size_t i, HeapExtElement& e) const {
    e.type = kHeapExtEventLogPtr21;
    e.size = number32(i + 2, field(i + 2, "size"));
    i += 3;
    if (i < lines_.size() && lines_[i].text == "TCG Event Log Descrption:") {
      e.allocated_size = number32(i + 1, field(i + 1, "allcoated_event_container_size"));
      events_offsets(i + 2, field(i + 2, "EventsOffset"), e.first_record_offset,
                     e.next_record_offset);
      i += 3;
    }
    return i;
  }

  // "unknown element:  type: 6, size: 196"
  size_t ext_unknown(size_t i, HeapExtElement& e) const {
    const auto t = lines_[i].text;
    auto ty = t.find("type:"), sz = t.find("size:");
    if (ty == std::string_view::npos || sz == std::string_view::npos || sz < ty)
      fail(i, "expected 'type: N, size: N'");
    auto tv = trim(t.substr(ty + 5, sz - ty - 5));
    if (tv.ends_with(",")) tv.remove_suffix(1);
    e.type = number32(i, tv);
    e.size = number32(i, trim(t.substr(sz + 5)));
    return i + 1;
  }

  using ExtReader = size_t (TextParser::*)(size_t, HeapExtElement&) const;
  struct ExtKind {
    std::string_view header;
    ExtReader read;
  };
  static constexpr ExtKind kExtKinds[] = {
      {"BIOS_SPEC_VER:", &TextParser::ext_bios_spec_ver},
      {"ACM:", &TextParser::ext_acm},
      {"CUSTOM:", &TextParser::ext_custom},
      {"EVENT_LOG_POINTER:", &TextParser::ext_tpm_event_log_ptr},
      {"EVENT_LOG_PTR:", &TextParser::ext_event_log_ptr2},
      {"TCG EVENT_LOG_PTR:", &TextParser::ext_event_log_ptr21},
  };

  // Elements after "ext_data_elts[]:" at line i; returns the index after them.
  size_t ext(size_t i, std::vector<HeapExtElement>& out) const {
    while (i < lines_.size()) {
      const auto t = lines_[i].text;
      HeapExtElement e;
      e.offset = lines_[i].offset;
      auto kind = std::find_if(std::begin(kExtKinds), std::end(kExtKinds),
                               [&](const ExtKind& k) { return k.header == t; });
      if (kind != std::end(kExtKinds)) {
        i = (this->*kind->read)(i, e);
      } else if (t.starts_with("unknown element:")) {
        i = ext_unknown(i, e);
      } else if (log_line(t)) {
        ++i;  // an event log printed inside the previous element
        continue;
      } else {
        break;
      }
      out.push_back(std::move(e));
    }
    return i;
  }

  void events_offsets(size_t i, std::string_view v, uint32_t& a, uint32_t& b) const {
    if (v.size() < 2 || v.front() != '[' || v.back() != ']') fail(i, "expected '[N,N]'");
    v = v.substr(1, v.size() - 2);
    auto c = v.find(',');
    if (c == std::string_view::npos) fail(i, "expected '[N,N]'");
    a = number32(i, trim(v.substr(0, c)));
    b = number32(i, trim(v.substr(c + 1)));
  }

  // A field of a region struct S: the key tboot prints and the member it fills.
  template <class S>
  using Member = std::variant<uint32_t S::*, uint64_t S::*, std::optional<uint32_t> S::*,
                              std::optional<uint64_t> S::*, std::array<uint8_t, 20> S::*>;
  template <class S>
  struct Field {
    std::string_view key;
    Member<S> member;
  };

  // The value at line j into a member; a hash is printed on the line after its key.
  void assign(size_t& j, std::string_view v, uint32_t& m) const { m = number32(j, v); }
  void assign(size_t& j, std::string_view v, uint64_t& m) const { m = number(j, v); }
  void assign(size_t& j, std::string_view v, std::optional<uint32_t>& m) const {
    m = number32(j, v);
  }
  void assign(size_t& j, std::string_view v, std::optional<uint64_t>& m) const { m = number(j, v); }
  void assign(size_t& j, std::string_view, std::array<uint8_t, 20>& m) const { m = hash_line(++j); }

  // Reads the "key: value" lines from line j into s while their keys are in `fields`; returns
  // the line it stopped at (past the end, not "key: value", or a key not in `fields`).
  template <class S, size_t N>
  size_t read_fields(size_t j, S& s, const Field<S> (&fields)[N]) const {
    for (; j < lines_.size(); ++j) {
      auto p = kv(lines_[j].text);
      if (!p) break;
      auto f = std::find_if(std::begin(fields), std::end(fields),
                            [&](const Field<S>& x) { return x.key == p->first; });
      if (f == std::end(fields)) break;
      std::visit([&](auto m) { assign(j, p->second, s.*m); }, f->member);
    }
    return j;
  }

  // The key of line j when it is "key: value".
  std::optional<std::string_view> key_at(size_t j) const {
    if (j >= lines_.size()) return std::nullopt;
    auto p = kv(lines_[j].text);
    if (!p) return std::nullopt;
    return p->first;
  }

  static constexpr Field<BiosData> kBiosFields[] = {
      {"version", &BiosData::version},
      {"bios_sinit_size", &BiosData::bios_sinit_size},
      {"lcp_pd_base", &BiosData::lcp_pd_base},
      {"lcp_pd_size", &BiosData::lcp_pd_size},
      {"num_logical_procs", &BiosData::num_logical_procs},
      {"flags", &BiosData::flags},
  };

  BiosData bios_data(size_t i) const {
    BiosData b;
    const size_t j = read_fields(i + 1, b, kBiosFields);
    if (key_at(j) == "ext_data_elts[]") ext(j + 1, b.ext);
    return b;
  }

  static constexpr Field<OsMleData> kOsMleFields[] = {
      {"version", &OsMleData::version},
      {"loader context addr", &OsMleData::loader_context_addr},
  };

  OsMleData os_mle_data(size_t i) const {
    OsMleData o;
    read_fields(i + 1, o, kOsMleFields);
    return o;
  }

  static constexpr Field<OsSinitData> kOsSinitFields[] = {
      {"version", &OsSinitData::version},
      {"flags", &OsSinitData::flags},
      {"mle_ptab", &OsSinitData::mle_ptab},
      {"mle_size", &OsSinitData::mle_size},
      {"mle_hdr_base", &OsSinitData::mle_hdr_base},
      {"vtd_pmr_lo_base", &OsSinitData::vtd_pmr_lo_base},
      {"vtd_pmr_lo_size", &OsSinitData::vtd_pmr_lo_size},
      {"vtd_pmr_hi_base", &OsSinitData::vtd_pmr_hi_base},
      {"vtd_pmr_hi_size", &OsSinitData::vtd_pmr_hi_size},
      {"lcp_po_base", &OsSinitData::lcp_po_base},
      {"lcp_po_size", &OsSinitData::lcp_po_size},
      {"capabilities", &OsSinitData::capabilities},
      {"efi_rsdt_ptr", &OsSinitData::efi_rsdt_ptr},
  };

  OsSinitData os_sinit_data(size_t i) const {
    OsSinitData o;
    for (size_t j = read_fields(i + 1, o, kOsSinitFields); j < lines_.size();
         j = read_fields(j + 1, o, kOsSinitFields)) {
      auto p = kv(lines_[j].text);
      if (!p) break;
      if (p->first == "ext_data_elts[]") {
        ext(j + 1, o.ext);
        break;
      }
      const auto v = p->second;
      if (v != "0" && v != "1" && v != "2" && v != "3") break;  // else a decoded capability bit
    }
    return o;
  }

  static constexpr Field<SinitMleData> kSinitMleFields[] = {
      {"version", &SinitMleData::version},
      {"bios_acm_id", &SinitMleData::bios_acm_id},
      {"edx_senter_flags", &SinitMleData::edx_senter_flags},
      {"mseg_valid", &SinitMleData::mseg_valid},
      {"sinit_hash", &SinitMleData::sinit_hash},
      {"mle_hash", &SinitMleData::mle_hash},
      {"stm_hash", &SinitMleData::stm_hash},
      {"lcp_policy_hash", &SinitMleData::lcp_policy_hash},
      {"lcp_policy_control", &SinitMleData::lcp_policy_control},
      {"rlp_wakeup_addr", &SinitMleData::rlp_wakeup_addr},
      {"num_mdrs", &SinitMleData::num_mdrs},
      {"mdrs_off", &SinitMleData::mdrs_off},
      {"num_vtd_dmars", &SinitMleData::num_vtd_dmars},
      {"vtd_dmars_off", &SinitMleData::vtd_dmars_off},
      {"proc_scrtm_status", &SinitMleData::proc_scrtm_status},
  };

  // "0000000000000000 - 00000000000a0000 (GOOD)" at line l: the m-th of num_mdrs ranges.
  SinitMdr sinit_mdr(size_t l, uint32_t m, uint32_t num_mdrs) const {
    auto t = l < lines_.size() ? lines_[l].text : std::string_view{};
    auto dash = t.find(" - "), par = t.find(" (");
    if (dash == std::string_view::npos || par == std::string_view::npos || par < dash)
      fail(l, fmt::format("num_mdrs is {} but {} ranges are printed", num_mdrs, m));
    const uint64_t lo = number(l, t.substr(0, dash), true);
    const uint64_t hi = number(l, trim(t.substr(dash + 3, par - dash - 3)), true);
    if (hi < lo) fail(l, "range ends before it starts");
    auto type = t.substr(par + 2);
    if (type.ends_with(")")) type.remove_suffix(1);
    static constexpr std::string_view kTypes[] = {"GOOD", "SMRAM OVERLAY", "SMRAM NON-OVERLAY",
                                                  "PCIE EXTENDED CONFIG", "PROTECTED"};
    uint8_t mt = 0;
    auto it = std::find(std::begin(kTypes), std::end(kTypes), type);
    if (it != std::end(kTypes)) {
      mt = static_cast<uint8_t>(it - std::begin(kTypes));
    } else {
      mt = static_cast<uint8_t>(number(l, type) & 0xff);
    }
    return {lo, hi - lo, mt};
  }

  SinitMleData sinit_mle_data(size_t i) const {
    SinitMleData s;
    for (size_t j = read_fields(i + 1, s, kSinitMleFields); j < lines_.size();
         j = read_fields(j + 1, s, kSinitMleFields)) {
      const auto k = key_at(j);
      if (k == "sinit_mdrs") {
        for (uint32_t m = 0; m < s.num_mdrs; ++m)
          s.mdrs.push_back(sinit_mdr(j + 1 + m, m, s.num_mdrs));
        j += s.num_mdrs;
        continue;
      }
      if (k == "ext_data_elts[]") ext(j + 1, s.ext);
      break;
    }
    return s;
  }

  TxtHeap parse() const {
    TxtHeap h;
    h.from_text = true;
    if (auto b = last("TXT.HEAP.BASE:")) h.base = number(*b, kv(lines_[*b].text)->second);
    if (auto i = last("bios_data (@")) {
      h.regions[0] = region_header(*i);
      h.bios = bios_data(*i);
    }
    if (auto i = last("os_mle_data (@")) {
      h.regions[1] = region_header(*i);
      h.os_mle = os_mle_data(*i);
    }
    if (auto i = last("os_sinit_data (@")) {
      h.regions[2] = region_header(*i);
      h.os_sinit = os_sinit_data(*i);
    }
    if (auto i = last("sinit_mle_data (@")) {
      h.regions[3] = region_header(*i);
      h.sinit_mle = sinit_mle_data(*i);
    }
    if (!h.regions[0] && !h.regions[1] && !h.regions[2] && !h.regions[3])
      throw_bad_input("no TXT heap printout (\"bios_data (@...\")", file_);
    return h;
  }
};

}  // namespace

TxtHeap parse_txt_heap_text(std::string_view text, const std::string& file) {
  return TextParser(text, file).parse();
}

}  // namespace integral
