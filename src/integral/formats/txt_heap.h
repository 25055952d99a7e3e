// The Intel TXT heap (tboot include/txt/heap.h): four regions, each preceded by a LE64 size that
// includes the size field itself: BiosData, OsMleData (tboot's own), OsSinitData (v4-7) and
// SinitMleData (v6-9), the later versions carrying lists of extended data elements. Read from a
// binary heap image, or from the heap section txt-stat / tboot's serial log print as text.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "integral/util/hex.h"

namespace integral {

inline constexpr uint32_t kHeapExtEnd = 0;
inline constexpr uint32_t kHeapExtBiosSpecVer = 1;
inline constexpr uint32_t kHeapExtAcm = 2;
inline constexpr uint32_t kHeapExtStm = 3;
inline constexpr uint32_t kHeapExtCustom = 4;
inline constexpr uint32_t kHeapExtTpmEventLogPtr = 5;  // TPM 1.2 container
inline constexpr uint32_t kHeapExtMadt = 6;
inline constexpr uint32_t kHeapExtEventLogPtr2 = 7;   // TPM 2.0 Intel per-bank logs
inline constexpr uint32_t kHeapExtEventLogPtr21 = 8;  // TPM 2.0 TCG log
inline constexpr uint32_t kHeapExtMcfg = 9;

// "END", "BIOS_SPEC_VER", ...; empty for types this reader does not know.
std::string_view heap_ext_type_name(uint32_t type);

struct HeapEventLogDescr {  // one per-bank log of EVENT_LOG_POINTER2
  uint16_t alg = 0;         // TPM_ALG_ID
  uint64_t phys_addr = 0;
  uint32_t size = 0, pcr_events_offset = 0, next_event_offset = 0;
};

struct HeapExtElement {
  uint32_t type = 0;
  uint32_t size = 0;    // including the 8-byte type/size header
  uint64_t offset = 0;  // binary: of the header in the file; text: of the line
  Bytes data;           // binary input only: the size - 8 bytes after the header
  // Decoded by type:
  uint16_t spec_major = 0, spec_minor = 0, spec_rev = 0;  // BIOS_SPEC_VER
  std::vector<uint64_t> acm_addrs;                        // ACM
  Bytes custom_uuid;                                      // CUSTOM (16 bytes, binary only)
  uint64_t event_log_addr = 0;                            // TPM_EVENT_LOG_PTR, PTR_2_1
  std::vector<HeapEventLogDescr> logs;                    // EVENT_LOG_POINTER2
  uint32_t allocated_size = 0, first_record_offset = 0, next_record_offset = 0;  // PTR_2_1
};

struct BiosData {
  uint32_t version = 0, bios_sinit_size = 0;
  uint64_t lcp_pd_base = 0, lcp_pd_size = 0;
  uint32_t num_logical_procs = 0;
  std::optional<uint64_t> flags;  // version >= 3
  std::vector<HeapExtElement> ext;
};

// tboot's private region: only its version is defined outside tboot (the rest holds tboot's
// saved MTRRs, the LCP policy buffer and the event log buffer); the loader context address is
// what tboot prints.
struct OsMleData {
  uint32_t version = 0;
  std::optional<uint64_t> loader_context_addr;  // text input only
};

struct OsSinitData {
  uint32_t version = 0, flags = 0;
  uint64_t mle_ptab = 0, mle_size = 0, mle_hdr_base = 0;
  uint64_t vtd_pmr_lo_base = 0, vtd_pmr_lo_size = 0, vtd_pmr_hi_base = 0, vtd_pmr_hi_size = 0;
  uint64_t lcp_po_base = 0, lcp_po_size = 0;
  uint32_t capabilities = 0;
  std::optional<uint64_t> efi_rsdt_ptr;  // version >= 5
  std::vector<HeapExtElement> ext;       // version >= 6
};

struct SinitMdr {
  uint64_t base = 0, length = 0;
  uint8_t mem_type = 0;
};

struct SinitMleData {
  uint32_t version = 0;
  std::array<uint8_t, 20> bios_acm_id{};  // the TPM 1.2 fields are zero with a TPM 2.0
  uint32_t edx_senter_flags = 0;
  uint64_t mseg_valid = 0;
  std::array<uint8_t, 20> sinit_hash{}, mle_hash{}, stm_hash{}, lcp_policy_hash{};
  uint32_t lcp_policy_control = 0, rlp_wakeup_addr = 0, reserved = 0;
  uint32_t num_mdrs = 0, mdrs_off = 0, num_vtd_dmars = 0, vtd_dmars_off = 0;
  std::optional<uint32_t> proc_scrtm_status;  // version >= 8
  std::vector<SinitMdr> mdrs;
  std::vector<HeapExtElement> ext;  // version >= 9
};

struct HeapRegion {
  uint64_t offset = 0;  // binary: of the size field in the image; text: the printed address
  uint64_t size = 0;    // including the 8-byte size field
};

struct TxtHeap {
  bool from_text = false;
  std::optional<uint64_t> base;  // text input: TXT.HEAP.BASE when printed
  std::optional<BiosData> bios;
  std::optional<OsMleData> os_mle;
  std::optional<OsSinitData> os_sinit;
  std::optional<SinitMleData> sinit_mle;
  // BiosData, OsMleData, OsSinitData, SinitMleData.
  std::array<std::optional<HeapRegion>, 4> regions;

  nlohmann::ordered_json to_json() const;
  std::string to_text() const;
};

// A binary heap image (starting with BiosData's size). A heap that ends after fewer than four
// regions yields those it holds. Throws Error(kBadInput) naming `file` and the byte offset:
// regions overrunning the heap, element sizes below their header or beyond their region,
// counts (ACMs, MDRs, logs) beyond the data, versions outside those defined.
TxtHeap parse_txt_heap(std::span<const uint8_t> heap, const std::string& file);

// The heap as txt-stat / tboot print it: the last printout of each region (the one after the
// launch). Throws Error(kBadInput) naming the line's byte offset.
TxtHeap parse_txt_heap_text(std::string_view text, const std::string& file);

// Either form, told apart by content (text has "bios_data (@").
TxtHeap load_txt_heap(const std::filesystem::path& path);

}  // namespace integral
