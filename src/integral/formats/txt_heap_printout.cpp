// TXT heap text: the heap as tboot's heap.c prints it (txt-stat shows tboot's log the same
// way), read into the same TxtHeap the binary reader gives (txt_heap.cpp).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "integral/formats/txt_heap.h"
#include "integral/formats/txt_printout.h"
#include "integral/util/error.h"
#include "integral/util/number.h"
#include "integral/util/text.h"

namespace integral {

namespace {

class TextParser {
 public:
  TextParser(std::string_view text, const std::string& file)
      : lines_(printout_lines(text)), file_(file) {}

  [[noreturn]] void fail(size_t i, const std::string& msg) const {
    const auto& l = lines_[std::min(i, lines_.size() - 1)];
    throw_bad_input(fmt::format("line {}: {}", l.number, msg), file_, l.offset);
  }

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

  // Elements after "ext_data_elts[]:" at line i; returns the index after them.
  size_t ext(size_t i, std::vector<HeapExtElement>& out) const {
    while (i < lines_.size()) {
      const auto t = lines_[i].text;
      HeapExtElement e;
      e.offset = lines_[i].offset;
      auto field = [&](size_t j, std::string_view key) -> std::string_view {
        auto p = j < lines_.size() ? kv(lines_[j].text) : std::nullopt;
        if (!p || p->first != key) fail(j, fmt::format("expected '{}:'", key));
        return p->second;
      };
      if (t == "BIOS_SPEC_VER:") {
        e.type = kHeapExtBiosSpecVer;
        e.size = 14;
        e.spec_major = static_cast<uint16_t>(number(i + 1, field(i + 1, "major")) & 0xffff);
        e.spec_minor = static_cast<uint16_t>(number(i + 2, field(i + 2, "minor")) & 0xffff);
        e.spec_rev = static_cast<uint16_t>(number(i + 3, field(i + 3, "rev")) & 0xffff);
        i += 4;
      } else if (t == "ACM:") {
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
      } else if (t == "CUSTOM:") {
        e.type = kHeapExtCustom;
        e.size = number32(i + 1, field(i + 1, "size"));
        i += 2;
        if (i < lines_.size() && lines_[i].text.starts_with("uuid:")) ++i;
      } else if (t == "EVENT_LOG_POINTER:") {
        e.type = kHeapExtTpmEventLogPtr;
        e.size = number32(i + 1, field(i + 1, "size"));
        e.event_log_addr = number(i + 2, field(i + 2, "elog_addr"));
        i += 3;
      } else if (t == "EVENT_LOG_PTR:") {
        e.type = kHeapExtEventLogPtr2;
        e.size = number32(i + 1, field(i + 1, "size"));
        i += 3;  // count: the descriptors follow as "Log Descrption:" blocks
        while (i < lines_.size() && lines_[i].text == "Log Descrption:") {
          HeapEventLogDescr l;
          l.alg = static_cast<uint16_t>(number(i + 1, field(i + 1, "Alg")) & 0xffff);
          l.size = number32(i + 2, field(i + 2, "Size"));
          events_offsets(i + 3, field(i + 3, "EventsOffset"), l.pcr_events_offset,
                         l.next_event_offset);
          e.logs.push_back(l);
          i += 4;
          while (i < lines_.size() && log_line(lines_[i].text) &&
                 lines_[i].text != "Log Descrption:")
            ++i;
        }
      } else if (t == "TCG EVENT_LOG_PTR:") {
        e.type = kHeapExtEventLogPtr21;
        e.size = number32(i + 2, field(i + 2, "size"));
        i += 3;
        if (i < lines_.size() && lines_[i].text == "TCG Event Log Descrption:") {
          e.allocated_size = number32(i + 1, field(i + 1, "allcoated_event_container_size"));
          events_offsets(i + 2, field(i + 2, "EventsOffset"), e.first_record_offset,
                         e.next_record_offset);
          i += 3;
        }
      } else if (t.starts_with("unknown element:")) {
        // "unknown element:  type: 6, size: 196"
        auto ty = t.find("type:"), sz = t.find("size:");
        if (ty == std::string_view::npos || sz == std::string_view::npos || sz < ty)
          fail(i, "expected 'type: N, size: N'");
        auto tv = trim(t.substr(ty + 5, sz - ty - 5));
        if (tv.ends_with(",")) tv.remove_suffix(1);
        e.type = number32(i, tv);
        e.size = number32(i, trim(t.substr(sz + 5)));
        ++i;
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

  TxtHeap parse() {
    TxtHeap h;
    h.from_text = true;
    if (auto b = last("TXT.HEAP.BASE:")) h.base = number(*b, kv(lines_[*b].text)->second);
    bool any = false;
    if (auto i = last("bios_data (@")) {
      any = true;
      h.regions[0] = region_header(*i);
      BiosData b;
      for (size_t j = *i + 1; j < lines_.size(); ++j) {
        auto p = kv(lines_[j].text);
        if (!p) break;
        const auto& [k, v] = *p;
        if (k == "version")
          b.version = number32(j, v);
        else if (k == "bios_sinit_size")
          b.bios_sinit_size = number32(j, v);
        else if (k == "lcp_pd_base")
          b.lcp_pd_base = number(j, v);
        else if (k == "lcp_pd_size")
          b.lcp_pd_size = number(j, v);
        else if (k == "num_logical_procs")
          b.num_logical_procs = number32(j, v);
        else if (k == "flags")
          b.flags = number(j, v);
        else if (k == "ext_data_elts[]") {
          ext(j + 1, b.ext);
          break;
        } else
          break;
      }
      h.bios = b;
    }
    if (auto i = last("os_mle_data (@")) {
      any = true;
      h.regions[1] = region_header(*i);
      OsMleData o;
      for (size_t j = *i + 1; j < lines_.size(); ++j) {
        auto p = kv(lines_[j].text);
        if (!p) break;
        if (p->first == "version")
          o.version = number32(j, p->second);
        else if (p->first == "loader context addr")
          o.loader_context_addr = number(j, p->second);
        else
          break;
      }
      h.os_mle = o;
    }
    if (auto i = last("os_sinit_data (@")) {
      any = true;
      h.regions[2] = region_header(*i);
      OsSinitData o;
      for (size_t j = *i + 1; j < lines_.size(); ++j) {
        auto p = kv(lines_[j].text);
        if (!p) break;
        const auto& [k, v] = *p;
        if (k == "version")
          o.version = number32(j, v);
        else if (k == "flags")
          o.flags = number32(j, v);
        else if (k == "mle_ptab")
          o.mle_ptab = number(j, v);
        else if (k == "mle_size")
          o.mle_size = number(j, v);
        else if (k == "mle_hdr_base")
          o.mle_hdr_base = number(j, v);
        else if (k == "vtd_pmr_lo_base")
          o.vtd_pmr_lo_base = number(j, v);
        else if (k == "vtd_pmr_lo_size")
          o.vtd_pmr_lo_size = number(j, v);
        else if (k == "vtd_pmr_hi_base")
          o.vtd_pmr_hi_base = number(j, v);
        else if (k == "vtd_pmr_hi_size")
          o.vtd_pmr_hi_size = number(j, v);
        else if (k == "lcp_po_base")
          o.lcp_po_base = number(j, v);
        else if (k == "lcp_po_size")
          o.lcp_po_size = number(j, v);
        else if (k == "capabilities")
          o.capabilities = number32(j, v);
        else if (k == "efi_rsdt_ptr")
          o.efi_rsdt_ptr = number(j, v);
        else if (k == "ext_data_elts[]") {
          ext(j + 1, o.ext);
          break;
        } else if (v == "0" || v == "1" || v == "2" || v == "3") {
          continue;  // the decoded capability bits
        } else
          break;
      }
      h.os_sinit = o;
    }
    if (auto i = last("sinit_mle_data (@")) {
      any = true;
      h.regions[3] = region_header(*i);
      SinitMleData s;
      for (size_t j = *i + 1; j < lines_.size(); ++j) {
        auto p = kv(lines_[j].text);
        if (!p) break;
        const auto& [k, v] = *p;
        if (k == "version")
          s.version = number32(j, v);
        else if (k == "bios_acm_id")
          s.bios_acm_id = hash_line(++j);
        else if (k == "edx_senter_flags")
          s.edx_senter_flags = number32(j, v);
        else if (k == "mseg_valid")
          s.mseg_valid = number(j, v);
        else if (k == "sinit_hash")
          s.sinit_hash = hash_line(++j);
        else if (k == "mle_hash")
          s.mle_hash = hash_line(++j);
        else if (k == "stm_hash")
          s.stm_hash = hash_line(++j);
        else if (k == "lcp_policy_hash")
          s.lcp_policy_hash = hash_line(++j);
        else if (k == "lcp_policy_control")
          s.lcp_policy_control = number32(j, v);
        else if (k == "rlp_wakeup_addr")
          s.rlp_wakeup_addr = number32(j, v);
        else if (k == "num_mdrs")
          s.num_mdrs = number32(j, v);
        else if (k == "mdrs_off")
          s.mdrs_off = number32(j, v);
        else if (k == "num_vtd_dmars")
          s.num_vtd_dmars = number32(j, v);
        else if (k == "vtd_dmars_off")
          s.vtd_dmars_off = number32(j, v);
        else if (k == "proc_scrtm_status")
          s.proc_scrtm_status = number32(j, v);
        else if (k == "sinit_mdrs") {
          // "0000000000000000 - 00000000000a0000 (GOOD)", num_mdrs lines.
          for (uint32_t m = 0; m < s.num_mdrs; ++m) {
            const size_t l = j + 1 + m;
            auto t = l < lines_.size() ? lines_[l].text : std::string_view{};
            auto dash = t.find(" - "), par = t.find(" (");
            if (dash == std::string_view::npos || par == std::string_view::npos || par < dash)
              fail(l, fmt::format("num_mdrs is {} but {} ranges are printed", s.num_mdrs, m));
            const uint64_t lo = number(l, t.substr(0, dash), true);
            const uint64_t hi = number(l, trim(t.substr(dash + 3, par - dash - 3)), true);
            if (hi < lo) fail(l, "range ends before it starts");
            auto type = t.substr(par + 2);
            if (type.ends_with(")")) type.remove_suffix(1);
            static constexpr std::string_view kTypes[] = {
                "GOOD", "SMRAM OVERLAY", "SMRAM NON-OVERLAY", "PCIE EXTENDED CONFIG", "PROTECTED"};
            uint8_t mt = 0;
            auto it = std::find(std::begin(kTypes), std::end(kTypes), type);
            if (it != std::end(kTypes)) {
              mt = static_cast<uint8_t>(it - std::begin(kTypes));
            } else {
              mt = static_cast<uint8_t>(number(l, type) & 0xff);
            }
            s.mdrs.push_back({lo, hi - lo, mt});
          }
          j += s.num_mdrs;
        } else if (k == "ext_data_elts[]") {
          ext(j + 1, s.ext);
          break;
        } else
          break;
      }
      h.sinit_mle = s;
    }
    if (!any) throw_bad_input("no TXT heap printout (\"bios_data (@...\")", file_);
    return h;
  }

 private:
  std::vector<PrintoutLine> lines_;
  std::string file_;
};

}  // namespace

TxtHeap parse_txt_heap_text(std::string_view text, const std::string& file) {
  return TextParser(text, file).parse();
}

}  // namespace integral
