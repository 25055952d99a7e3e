#include "integral/formats/txt_acm.h"

#include <fmt/format.h>

#include <algorithm>

#include "integral/util/byte_reader.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral {

namespace {

// ACM_UUID_V3 {0x7fc03aaa, 0x46a7, 0x18db, 0xac2e, {69 8f 8d 41 7f 5a}} as stored (LE fields).
constexpr uint8_t kAcmUuidV3[16] = {0xaa, 0x3a, 0xc0, 0x7f, 0xa7, 0x46, 0xdb, 0x18,
                                    0x2e, 0xac, 0x69, 0x8f, 0x8d, 0x41, 0x7f, 0x5a};
// The fixed header fields, ModuleType .. ScratchSize.
constexpr size_t kFixedHeader = 128;
// SINIT ACMs are at most a few hundred KiB; the TXT SINIT memory region is smaller than 1 MiB.
constexpr uint64_t kMaxAcmSize = 16u << 20;
// More list entries than this cannot be real and would only cost time.
constexpr uint32_t kMaxListEntries = 4096;

// The fixed header fields (kFixedHeader bytes, checked by the caller).
AcmHeader read_header(const ByteReader& r) {
  AcmHeader h;
  h.module_type = r.u16(0, "ModuleType");
  h.module_subtype = r.u16(2, "ModuleSubType");
  h.header_len = r.u32(4, "HeaderLen");
  h.header_ver = r.u32(8, "HeaderVersion");
  h.chipset_id = r.u16(12, "ChipsetID");
  h.flags = r.u16(14, "Flags");
  h.module_vendor = r.u32(16, "ModuleVendor");
  h.date = r.u32(20, "Date");
  h.size = r.u32(24, "Size");
  h.txt_svn = r.u16(28, "TxtSvn");
  h.se_svn = r.u16(30, "SeSvn");
  h.code_control = r.u32(32, "CodeControl");
  h.error_entry_point = r.u32(36, "ErrorEntryPoint");
  h.gdt_limit = r.u32(40, "GDTLimit");
  h.gdt_base = r.u32(44, "GDTBasePtr");
  h.seg_sel = r.u32(48, "SegSel");
  h.entry_point = r.u32(52, "EntryPoint");
  h.key_size = r.u32(120, "KeySize");
  h.scratch_size = r.u32(124, "ScratchSize");
  return h;
}

// The lists the information table points to (m reads the module).
void read_chipsets(const ByteReader& m, AcmInfoTable& t) {
  const uint32_t nchip = m.u32(t.chipset_id_list, "chipset ID list count");
  if (nchip > kMaxListEntries) m.fail(t.chipset_id_list, "chipset ID list count is implausible");
  m.need(t.chipset_id_list + 4, 16ull * nchip, "chipset ID list entries");
  for (uint32_t i = 0; i < nchip; ++i) {
    const uint64_t e = t.chipset_id_list + 4 + 16ull * i;
    t.chipsets.push_back({m.u32(e, "flags"), m.u16(e + 4, "vendor"), m.u16(e + 6, "device"),
                          m.u16(e + 8, "revision"), m.u32(e + 12, "extended")});
  }
}

void read_processors(const ByteReader& m, AcmInfoTable& t) {
  if (!t.processor_id_list || *t.processor_id_list == 0) return;
  const uint64_t p = *t.processor_id_list;
  const uint32_t n = m.u32(p, "processor ID list count");
  if (n > kMaxListEntries) m.fail(p, "processor ID list count is implausible");
  m.need(p + 4, 24ull * n, "processor ID list entries");
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t e = p + 4 + 24ull * i;
    t.processors.push_back({m.u32(e, "fms"), m.u32(e + 4, "fms_mask"), m.u64(e + 8, "platform_id"),
                            m.u64(e + 16, "platform_mask")});
  }
}

void read_tpm_info(const ByteReader& m, AcmInfoTable& t) {
  if (!t.tpm_info_list_off || *t.tpm_info_list_off == 0) return;
  const uint64_t p = *t.tpm_info_list_off;
  t.tpm_capabilities = m.u32(p, "TPM capabilities");
  const uint16_t n = m.u16(p + 4, "TPM algorithm count");
  m.need(p + 6, 2ull * n, "TPM algorithm list");
  for (uint16_t i = 0; i < n; ++i) t.tpm_algs.push_back(m.u16(p + 6 + 2ull * i, "alg_id"));
}

// The information table at ui (the start of the user area, after its UUID), with its lists.
AcmInfoTable read_info_table(const ByteReader& m, uint64_t ui) {
  AcmInfoTable t;
  t.offset = ui;
  t.uuid_v3 = true;
  t.chipset_acm_type = m.u8(ui + 16, "ChipsetACMType");
  t.version = m.u8(ui + 17, "info table Version");
  t.length = m.u16(ui + 18, "info table Length");
  t.chipset_id_list = m.u32(ui + 20, "ChipsetIDList");
  t.os_sinit_data_ver = m.u32(ui + 24, "OsSinitTblVer");
  t.min_mle_hdr_ver = m.u32(ui + 28, "MinMleHeaderVer");
  t.capabilities = m.u32(ui + 32, "Capabilities");
  t.acm_ver = m.u8(ui + 36, "AcmVersion");
  std::copy_n(m.bytes(ui + 37, 3, "AcmRevision").begin(), 3, t.acm_revision);
  if (t.version >= 4) t.processor_id_list = m.u32(ui + 40, "ProcessorIDList");
  if (t.version >= 5) t.tpm_info_list_off = m.u32(ui + 44, "TPMInfoList");
  read_chipsets(m, t);
  read_processors(m, t);
  read_tpm_info(m, t);
  return t;
}

}  // namespace

TxtAcm TxtAcm::load(const std::filesystem::path& path) {
  const std::string data = read_text_file(path, kMaxAcmSize);
  return parse(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()),
               path.string());
}

TxtAcm TxtAcm::parse(std::span<const uint8_t> file, std::string name) {
  TxtAcm a;
  a.name_ = std::move(name);
  ByteReader r(file, a.name_);
  r.need(0, kFixedHeader, "ACM header");
  a.header_ = read_header(r);
  const AcmHeader& h = a.header_;
  if (h.module_type != 2)
    r.fail(0, fmt::format("ModuleType {:#x} is not 2 (chipset ACM)", h.module_type));
  const uint64_t size = 4ull * h.size;
  if (size > file.size()) {
    r.fail(24, fmt::format("Size says {:#x} bytes but the file has {:#x}", size, file.size()));
  }
  if (size > kMaxAcmSize) r.fail(24, "Size is implausibly large");
  if (4ull * h.header_len < kFixedHeader || 4ull * h.header_len > size) {
    r.fail(4, fmt::format("HeaderLen {:#x} dwords does not fit the module", h.header_len));
  }
  if (a.user_area_offset() > size) {
    r.fail(124, fmt::format("HeaderLen + ScratchSize ({:#x} bytes) run past the module's end",
                            a.user_area_offset()));
  }
  a.data_.assign(file.begin(), file.begin() + static_cast<ptrdiff_t>(size));
  ByteReader m(a.data_, a.name_);

  // The information table starts the user area.
  const uint64_t ui = a.user_area_offset();
  if (ui + 16 <= size && std::equal(kAcmUuidV3, kAcmUuidV3 + 16, a.data_.begin() + ui))
    a.info_ = read_info_table(m, ui);
  return a;
}

Bytes TxtAcm::hashed_region() const {
  const size_t ua = static_cast<size_t>(user_area_offset());
  Bytes out(kFixedHeader + (data_.size() - ua));
  std::copy_n(data_.data(), kFixedHeader, out.data());
  std::copy(data_.data() + ua, data_.data() + data_.size(), out.data() + kFixedHeader);
  return out;
}

Digest TxtAcm::acm_hash() const {
  return hash(HashAlg::kSha256, hashed_region());
}

Bytes TxtAcm::hash_start_data(uint32_t edx) const {
  const Digest d = acm_hash();
  Bytes out(d.bytes().begin(), d.bytes().end());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>((edx >> (8 * i)) & 0xff));
  return out;
}

std::vector<std::string> txt_capability_names(uint32_t caps) {
  static const char* kNames[] = {
      "rlp_wake_getsec",   "rlp_wake_monitor",     "ecx_pgtbl",          "stm",
      "pcr_map_no_legacy", "pcr_map_da",           "platform_type_bit6", "platform_type_bit7",
      "max_phy_addr",      "tcg_event_log_format", "cbnt_supported"};
  std::vector<std::string> out;
  for (uint32_t i = 0; i < 32; ++i) {
    if (!(caps & (1u << i))) continue;
    out.push_back(i < std::size(kNames) ? kNames[i] : fmt::format("bit{}", i));
  }
  return out;
}

nlohmann::ordered_json TxtAcm::to_json() const {
  const auto& h = header_;
  auto hex32 = [](uint64_t v) { return fmt::format("{:#x}", v); };
  nlohmann::ordered_json j;
  j["file"] = name_;
  j["module_type"] = h.module_type;
  j["module_subtype"] = h.module_subtype;
  j["header_len"] = h.header_len;
  j["header_version"] = hex32(h.header_ver);
  j["chipset_id"] = hex32(h.chipset_id);
  j["flags"] = hex32(h.flags);
  j["pre_production"] = ((h.flags >> 14) & 1) != 0;
  j["debug_signed"] = ((h.flags >> 15) & 1) != 0;
  j["module_vendor"] = hex32(h.module_vendor);
  j["date"] = fmt::format("{:08x}", h.date);
  j["size"] = 4ull * h.size;
  j["txt_svn"] = h.txt_svn;
  j["se_svn"] = h.se_svn;
  j["code_control"] = hex32(h.code_control);
  j["entry_point"] = hex32(h.entry_point);
  j["key_size"] = 4ull * h.key_size;
  j["scratch_size"] = h.scratch_size;
  j["user_area_offset"] = hex32(user_area_offset());
  if (info_) {
    const auto& t = *info_;
    nlohmann::ordered_json it;
    it["offset"] = hex32(t.offset);
    it["chipset_acm_type"] = t.chipset_acm_type;
    it["sinit"] = is_sinit();
    it["version"] = t.version;
    it["length"] = t.length;
    it["os_sinit_data_ver"] = t.os_sinit_data_ver;
    it["min_mle_hdr_ver"] = hex32(t.min_mle_hdr_ver);
    it["capabilities"] = hex32(t.capabilities);
    it["capability_names"] = txt_capability_names(t.capabilities);
    it["acm_ver"] = t.acm_ver;
    it["acm_revision"] =
        fmt::format("{}.{}.{}", t.acm_revision[0], t.acm_revision[1], t.acm_revision[2]);
    auto& cl = it["chipsets"] = nlohmann::ordered_json::array();
    for (const auto& c : t.chipsets) {
      cl.push_back({{"flags", hex32(c.flags)},
                    {"vendor_id", hex32(c.vendor_id)},
                    {"device_id", hex32(c.device_id)},
                    {"revision_id", hex32(c.revision_id)},
                    {"extended_id", hex32(c.extended_id)}});
    }
    auto& pl = it["processors"] = nlohmann::ordered_json::array();
    for (const auto& p : t.processors) {
      pl.push_back({{"fms", hex32(p.fms)},
                    {"fms_mask", hex32(p.fms_mask)},
                    {"platform_id", hex32(p.platform_id)},
                    {"platform_mask", hex32(p.platform_mask)}});
    }
    if (t.tpm_capabilities) {
      it["tpm_capabilities"] = hex32(*t.tpm_capabilities);
      auto& al = it["tpm_algs"] = nlohmann::ordered_json::array();
      for (auto alg : t.tpm_algs) al.push_back(hex32(alg));
    }
    j["info_table"] = it;
  }
  j["acm_hash_sha256"] = acm_hash().hex();
  return j;
}

}  // namespace integral
