#include "integral/formats/txt_heap.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "integral/formats/txt_printout.h"
#include "integral/util/byte_reader.h"
#include "integral/util/error.h"
#include "integral/util/json_io.h"
#include "integral/util/mapped_file.h"
#include "integral/util/number.h"
#include "integral/util/text.h"

namespace integral {

std::string_view heap_ext_type_name(uint32_t type) {
  switch (type) {
    case kHeapExtEnd:
      return "END";
    case kHeapExtBiosSpecVer:
      return "BIOS_SPEC_VER";
    case kHeapExtAcm:
      return "ACM";
    case kHeapExtStm:
      return "STM";
    case kHeapExtCustom:
      return "CUSTOM";
    case kHeapExtTpmEventLogPtr:
      return "TPM_EVENT_LOG_PTR";
    case kHeapExtMadt:
      return "MADT";
    case kHeapExtEventLogPtr2:
      return "EVENT_LOG_POINTER2";
    case kHeapExtEventLogPtr21:
      return "EVENT_LOG_POINTER2_1";
    case kHeapExtMcfg:
      return "MCFG";
    default:
      return "";
  }
}

namespace {

constexpr uint64_t kMdrSize = 24;       // base u64, length u64, mem_type u8, reserved[7]
constexpr uint64_t kLogDescrSize = 24;  // alg u16, reserved u16, addr u64, size/offsets u32 x3

std::array<uint8_t, 20> sha1_field(const ByteReader& r, uint64_t off, std::string_view what) {
  std::array<uint8_t, 20> out{};
  auto b = r.bytes(off, 20, what);
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

// Fails unless element e, whose header is at off, has `len` bytes of data for its `what`.
void need_ext(const ByteReader& r, const HeapExtElement& e, uint64_t off, uint64_t len,
              std::string_view what) {
  if (e.size - 8u < len)
    r.fail(off + 4, fmt::format("{} element of size {} is too small for its {} ({} bytes)",
                                heap_ext_type_name(e.type), e.size, what, len));
}

// The lists of ACM and EVENT_LOG_POINTER2 elements, whose data (n bytes) is at d.
void ext_acm_addrs(const ByteReader& r, HeapExtElement& e, uint64_t d, uint64_t n) {
  const uint32_t count = r.u32(d, "num_acms");
  if (count > (n - 4) / 8)
    r.fail(d, fmt::format("num_acms {} needs {} bytes, the element holds {}", count,
                          uint64_t{count} * 8, n - 4));
  for (uint32_t i = 0; i < count; ++i) e.acm_addrs.push_back(r.u64(d + 4 + 8ull * i, "acm"));
}

void ext_logs(const ByteReader& r, HeapExtElement& e, uint64_t d, uint64_t n) {
  const uint32_t count = r.u32(d, "log count");
  if (count > (n - 4) / kLogDescrSize)
    r.fail(d, fmt::format("log count {} needs {} bytes, the element holds {}", count,
                          uint64_t{count} * kLogDescrSize, n - 4));
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t p = d + 4 + kLogDescrSize * i;
    HeapEventLogDescr l;
    l.alg = r.u16(p, "alg");
    l.phys_addr = r.u64(p + 4, "phys_addr");
    l.size = r.u32(p + 12, "size");
    l.pcr_events_offset = r.u32(p + 16, "pcr_events_offset");
    l.next_event_offset = r.u32(p + 20, "next_event_offset");
    e.logs.push_back(l);
  }
}

// Decodes the data of element e (header at off, read and checked) by its type.
void decode_ext(const ByteReader& r, HeapExtElement& e, uint64_t off) {
  const uint64_t d = off + 8, n = e.size - 8u;
  switch (e.type) {
    case kHeapExtBiosSpecVer:
      need_ext(r, e, off, 6, "version");
      e.spec_major = r.u16(d, "spec_ver_major");
      e.spec_minor = r.u16(d + 2, "spec_ver_minor");
      e.spec_rev = r.u16(d + 4, "spec_ver_rev");
      break;
    case kHeapExtAcm:
      need_ext(r, e, off, 4, "num_acms");
      ext_acm_addrs(r, e, d, n);
      break;
    case kHeapExtCustom:
      need_ext(r, e, off, 16, "uuid");
      e.custom_uuid.assign(e.data.begin(), e.data.begin() + 16);
      break;
    case kHeapExtTpmEventLogPtr:
      need_ext(r, e, off, 8, "event log address");
      e.event_log_addr = r.u64(d, "event_log_phys_addr");
      break;
    case kHeapExtEventLogPtr2:
      need_ext(r, e, off, 4, "count");
      ext_logs(r, e, d, n);
      break;
    case kHeapExtEventLogPtr21:
      need_ext(r, e, off, 20, "descriptor");
      e.event_log_addr = r.u64(d, "phys_addr");
      e.allocated_size = r.u32(d + 8, "allocated size");
      e.first_record_offset = r.u32(d + 12, "first_record_offset");
      e.next_record_offset = r.u32(d + 16, "next_record_offset");
      break;
    default:  // STM, MADT, MCFG and unknown types: kept as bytes, skipped by their size
      break;
  }
}

// Extended data elements in [begin, end) of `r` (offsets relative to r); END or the end of the
// range stops the list.
std::vector<HeapExtElement> parse_ext(const ByteReader& r, uint64_t begin, uint64_t end,
                                      uint64_t base) {
  std::vector<HeapExtElement> out;
  uint64_t off = begin;
  while (off < end) {
    if (end - off < 8)
      r.fail(off, fmt::format("extended element header needs 8 bytes, {} remain", end - off));
    HeapExtElement e;
    e.type = r.u32(off, "element type");
    e.size = r.u32(off + 4, "element size");
    e.offset = base + off;
    if (e.size < 8)
      r.fail(off + 4, fmt::format("element size {} is below its 8-byte header", e.size));
    if (e.size > end - off)
      r.fail(off + 4, fmt::format("element type {} size {} overruns its region ({} bytes remain)",
                                  e.type, e.size, end - off));
    auto data = r.bytes(off + 8, e.size - 8u, "element data");
    e.data.assign(data.begin(), data.end());
    decode_ext(r, e, off);
    const bool last = e.type == kHeapExtEnd;
    out.push_back(std::move(e));
    if (last) break;
    off += out.back().size;
  }
  return out;
}

BiosData parse_bios(const ByteReader& r, uint64_t base) {
  BiosData b;
  b.version = r.u32(0, "BiosData version");
  if (b.version < 2)
    r.fail(0, fmt::format("BiosData version {} is not defined (2 and later)", b.version));
  b.bios_sinit_size = r.u32(4, "bios_sinit_size");
  b.lcp_pd_base = r.u64(8, "lcp_pd_base");
  b.lcp_pd_size = r.u64(16, "lcp_pd_size");
  b.num_logical_procs = r.u32(24, "num_logical_procs");
  if (b.version >= 3) b.flags = r.u64(28, "flags");
  if (b.version >= 4) b.ext = parse_ext(r, 36, r.size(), base);
  return b;
}

OsSinitData parse_os_sinit(const ByteReader& r, uint64_t base) {
  OsSinitData o;
  o.version = r.u32(0, "OsSinitData version");
  if (o.version < 4 || o.version > 7)
    r.fail(0, fmt::format("OsSinitData version {} is not one of 4-7", o.version));
  o.flags = r.u32(4, "flags");
  o.mle_ptab = r.u64(8, "mle_ptab");
  o.mle_size = r.u64(16, "mle_size");
  o.mle_hdr_base = r.u64(24, "mle_hdr_base");
  o.vtd_pmr_lo_base = r.u64(32, "vtd_pmr_lo_base");
  o.vtd_pmr_lo_size = r.u64(40, "vtd_pmr_lo_size");
  o.vtd_pmr_hi_base = r.u64(48, "vtd_pmr_hi_base");
  o.vtd_pmr_hi_size = r.u64(56, "vtd_pmr_hi_size");
  o.lcp_po_base = r.u64(64, "lcp_po_base");
  o.lcp_po_size = r.u64(72, "lcp_po_size");
  o.capabilities = r.u32(80, "capabilities");
  if (o.version >= 5) o.efi_rsdt_ptr = r.u64(84, "efi_rsdt_ptr");
  if (o.version >= 6) o.ext = parse_ext(r, 92, r.size(), base);
  return o;
}

// `r` covers the region without its size field; the MDR and DMAR offsets count from the size
// field (tboot heap.c print_sinit_mle_data), hence the 8.
SinitMleData parse_sinit_mle(const ByteReader& r, uint64_t base) {
  SinitMleData s;
  s.version = r.u32(0, "SinitMleData version");
  if (s.version < 6 || s.version > 9)
    r.fail(0, fmt::format("SinitMleData version {} is not one of 6-9", s.version));
  s.bios_acm_id = sha1_field(r, 4, "bios_acm_id");
  s.edx_senter_flags = r.u32(24, "edx_senter_flags");
  s.mseg_valid = r.u64(28, "mseg_valid");
  s.sinit_hash = sha1_field(r, 36, "sinit_hash");
  s.mle_hash = sha1_field(r, 56, "mle_hash");
  s.stm_hash = sha1_field(r, 76, "stm_hash");
  s.lcp_policy_hash = sha1_field(r, 96, "lcp_policy_hash");
  s.lcp_policy_control = r.u32(116, "lcp_policy_control");
  s.rlp_wakeup_addr = r.u32(120, "rlp_wakeup_addr");
  s.reserved = r.u32(124, "reserved");
  s.num_mdrs = r.u32(128, "num_mdrs");
  s.mdrs_off = r.u32(132, "mdrs_off");
  s.num_vtd_dmars = r.u32(136, "num_vtd_dmars");
  s.vtd_dmars_off = r.u32(140, "vtd_dmars_off");
  if (s.version >= 8) s.proc_scrtm_status = r.u32(144, "proc_scrtm_status");
  const uint64_t region = r.size() + 8;
  if (s.num_mdrs > 0) {
    if (s.mdrs_off < 8 || s.mdrs_off > region || s.num_mdrs > (region - s.mdrs_off) / kMdrSize)
      r.fail(128, fmt::format("num_mdrs {} at mdrs_off {:#x} overruns the region ({:#x} bytes)",
                              s.num_mdrs, s.mdrs_off, region));
    for (uint32_t i = 0; i < s.num_mdrs; ++i) {
      const uint64_t p = s.mdrs_off - 8 + kMdrSize * i;
      s.mdrs.push_back(
          {r.u64(p, "mdr base"), r.u64(p + 8, "mdr length"), r.u8(p + 16, "mdr type")});
    }
  }
  if (s.num_vtd_dmars > 0 && (s.vtd_dmars_off < 8 || s.vtd_dmars_off > region ||
                              s.num_vtd_dmars > region - s.vtd_dmars_off))
    r.fail(136,
           fmt::format("VT-d DMAR table of {} bytes at {:#x} overruns the region ({:#x} bytes)",
                       s.num_vtd_dmars, s.vtd_dmars_off, region));
  if (s.version >= 9) s.ext = parse_ext(r, 148, r.size(), base);
  return s;
}

}  // namespace

TxtHeap parse_txt_heap(std::span<const uint8_t> heap, const std::string& file) {
  ByteReader whole(heap, file);
  TxtHeap h;
  uint64_t off = 0;
  static constexpr std::string_view kNames[] = {"BiosData", "OsMleData", "OsSinitData",
                                                "SinitMleData"};
  for (size_t i = 0; i < 4 && off < heap.size(); ++i) {
    const uint64_t remain = heap.size() - off;
    const uint64_t size = whole.u64(off, fmt::format("{} size", kNames[i]));
    if (size < 8)
      whole.fail(off,
                 fmt::format("{} size {} is below its own 8-byte size field", kNames[i], size));
    if (size > remain)
      whole.fail(off, fmt::format("{} size {:#x} overruns the heap ({:#x} bytes remain)", kNames[i],
                                  size, remain));
    h.regions[i] = HeapRegion{off, size};
    ByteReader r(heap.subspan(static_cast<size_t>(off + 8), static_cast<size_t>(size - 8)), file,
                 off + 8);
    switch (i) {
      case 0:
        h.bios = parse_bios(r, off + 8);
        break;
      case 1:
        h.os_mle = OsMleData{r.u32(0, "OsMleData version"), std::nullopt};
        break;
      case 2:
        h.os_sinit = parse_os_sinit(r, off + 8);
        break;
      default:
        h.sinit_mle = parse_sinit_mle(r, off + 8);
        break;
    }
    off += size;
  }
  if (!h.bios) throw_bad_input("empty TXT heap", file, 0);
  return h;
}

namespace {

std::string hex20(const std::array<uint8_t, 20>& a) {
  return to_hex(a);
}

nlohmann::ordered_json ext_json(const std::vector<HeapExtElement>& ext) {
  auto out = nlohmann::ordered_json::array();
  for (const auto& e : ext) {
    nlohmann::ordered_json j;
    j["type"] = e.type;
    j["name"] = std::string(heap_ext_type_name(e.type));
    j["size"] = e.size;
    switch (e.type) {
      case kHeapExtBiosSpecVer:
        j["major"] = e.spec_major;
        j["minor"] = e.spec_minor;
        j["rev"] = e.spec_rev;
        break;
      case kHeapExtAcm: {
        auto& a = j["acm_addrs"] = nlohmann::ordered_json::array();
        for (auto x : e.acm_addrs) a.push_back(fmt::format("{:#x}", x));
        break;
      }
      case kHeapExtCustom:
        if (!e.custom_uuid.empty()) j["uuid"] = to_hex(e.custom_uuid);
        break;
      case kHeapExtTpmEventLogPtr:
        j["event_log_addr"] = fmt::format("{:#x}", e.event_log_addr);
        break;
      case kHeapExtEventLogPtr2: {
        auto& a = j["logs"] = nlohmann::ordered_json::array();
        for (const auto& l : e.logs)
          a.push_back({{"alg", fmt::format("{:#x}", l.alg)},
                       {"phys_addr", fmt::format("{:#x}", l.phys_addr)},
                       {"size", l.size},
                       {"pcr_events_offset", l.pcr_events_offset},
                       {"next_event_offset", l.next_event_offset}});
        break;
      }
      case kHeapExtEventLogPtr21:
        j["phys_addr"] = fmt::format("{:#x}", e.event_log_addr);
        j["allocated_size"] = e.allocated_size;
        j["first_record_offset"] = e.first_record_offset;
        j["next_record_offset"] = e.next_record_offset;
        break;
      default:
        break;
    }
    out.push_back(j);
  }
  return out;
}

std::string hex64(uint64_t v) {
  return fmt::format("{:#x}", v);
}

}  // namespace

TxtHeap load_txt_heap(const std::filesystem::path& path) {
  MappedFile in(path, MappedFile::NonRegular::kRefuse);
  auto b = in.bytes();
  const std::string_view s(reinterpret_cast<const char*>(b.data()), b.size());
  if (s.find("bios_data (@") != std::string_view::npos) return parse_txt_heap_text(s, in.path());
  return parse_txt_heap(b, in.path());
}

nlohmann::ordered_json TxtHeap::to_json() const {
  nlohmann::ordered_json j;
  j["source"] = from_text ? "text" : "binary";
  if (base) j["heap_base"] = hex64(*base);
  static constexpr const char* kNames[] = {"bios_data", "os_mle_data", "os_sinit_data",
                                           "sinit_mle_data"};
  auto region = [&](size_t i, nlohmann::ordered_json& r) {
    if (!regions[i]) return;
    r[from_text ? "address" : "offset"] = hex64(regions[i]->offset);
    r["size"] = hex64(regions[i]->size);
  };
  if (bios) {
    auto& r = j[kNames[0]];
    region(0, r);
    r["version"] = bios->version;
    r["bios_sinit_size"] = bios->bios_sinit_size;
    r["lcp_pd_base"] = hex64(bios->lcp_pd_base);
    r["lcp_pd_size"] = bios->lcp_pd_size;
    r["num_logical_procs"] = bios->num_logical_procs;
    if (bios->flags) r["flags"] = hex64(*bios->flags);
    r["ext_data_elts"] = ext_json(bios->ext);
  }
  if (os_mle) {
    auto& r = j[kNames[1]];
    region(1, r);
    r["version"] = os_mle->version;
    if (os_mle->loader_context_addr) r["loader_context_addr"] = hex64(*os_mle->loader_context_addr);
  }
  if (os_sinit) {
    auto& r = j[kNames[2]];
    const auto& o = *os_sinit;
    region(2, r);
    r["version"] = o.version;
    r["flags"] = o.flags;
    r["mle_ptab"] = hex64(o.mle_ptab);
    r["mle_size"] = hex64(o.mle_size);
    r["mle_hdr_base"] = hex64(o.mle_hdr_base);
    r["vtd_pmr_lo_base"] = hex64(o.vtd_pmr_lo_base);
    r["vtd_pmr_lo_size"] = hex64(o.vtd_pmr_lo_size);
    r["vtd_pmr_hi_base"] = hex64(o.vtd_pmr_hi_base);
    r["vtd_pmr_hi_size"] = hex64(o.vtd_pmr_hi_size);
    r["lcp_po_base"] = hex64(o.lcp_po_base);
    r["lcp_po_size"] = hex64(o.lcp_po_size);
    r["capabilities"] = fmt::format("{:#x}", o.capabilities);
    if (o.efi_rsdt_ptr) r["efi_rsdt_ptr"] = hex64(*o.efi_rsdt_ptr);
    r["ext_data_elts"] = ext_json(o.ext);
  }
  if (sinit_mle) {
    auto& r = j[kNames[3]];
    const auto& s = *sinit_mle;
    region(3, r);
    r["version"] = s.version;
    r["bios_acm_id"] = hex20(s.bios_acm_id);
    r["edx_senter_flags"] = fmt::format("{:#x}", s.edx_senter_flags);
    r["mseg_valid"] = hex64(s.mseg_valid);
    r["sinit_hash"] = hex20(s.sinit_hash);
    r["mle_hash"] = hex20(s.mle_hash);
    r["stm_hash"] = hex20(s.stm_hash);
    r["lcp_policy_hash"] = hex20(s.lcp_policy_hash);
    r["lcp_policy_control"] = fmt::format("{:#x}", s.lcp_policy_control);
    r["rlp_wakeup_addr"] = fmt::format("{:#x}", s.rlp_wakeup_addr);
    r["num_mdrs"] = s.num_mdrs;
    r["mdrs_off"] = fmt::format("{:#x}", s.mdrs_off);
    r["num_vtd_dmars"] = s.num_vtd_dmars;
    r["vtd_dmars_off"] = fmt::format("{:#x}", s.vtd_dmars_off);
    auto& m = r["mdrs"] = nlohmann::ordered_json::array();
    for (const auto& x : s.mdrs)
      m.push_back({{"base", hex64(x.base)}, {"length", hex64(x.length)}, {"type", x.mem_type}});
    if (s.proc_scrtm_status) r["proc_scrtm_status"] = fmt::format("{:#x}", *s.proc_scrtm_status);
    r["ext_data_elts"] = ext_json(s.ext);
  }
  return j;
}

std::string TxtHeap::to_text() const {
  // The JSON, flattened to "region.field value" lines.
  std::string out;
  auto j = to_json();
  for (auto& [k, v] : j.items()) {
    if (!v.is_object()) {
      out += fmt::format("{:<34} {}\n", k,
                         v.is_string() ? escape_terminal(v.get<std::string>()) : dump_json(v));
      continue;
    }
    for (auto& [f, x] : v.items()) {
      if (x.is_array()) {
        size_t n = 0;
        for (auto& item : x)
          out += fmt::format("{:<34} {}\n", fmt::format("{}.{}[{}]", k, f, n++), dump_json(item));
      } else {
        out += fmt::format("{:<34} {}\n", k + "." + f,
                           x.is_string() ? escape_terminal(x.get<std::string>()) : dump_json(x));
      }
    }
  }
  return out;
}

}  // namespace integral
