#include "integral/formats/txt_heap.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "integral/formats/test_bytes.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral {
namespace {

using B = testing::LeBytes;
using testing::put32;

// A region: LE64 size (body + 8) then the body.
void region(B& heap, const Bytes& body) {
  heap.u64(body.size() + 8).add(body);
}

// The four regions, laid out by hand from tboot's heap.h field list.
struct Heap {
  Bytes bios, os_mle, os_sinit, sinit_mle;
  Heap() {
    // BiosData v6: 36 fixed bytes, BIOS_SPEC_VER (8+6), ACM (8+4+8), END (8) = 78 bytes.
    bios = B{}.u32(6)
               .u32(0)
               .u64(0x1000)
               .u64(0x20)
               .u32(4)
               .u64(0x200000000)
               .u32(1)
               .u32(14)
               .u16(2)
               .u16(1)
               .u16(0)
               .u32(2)
               .u32(20)
               .u32(1)
               .u64(0xffe60000)
               .u32(0)
               .u32(8)
               .b;
    os_mle = B{}.u32(3).fill(12, 0xaa).b;
    // OsSinitData v7: 92 fixed bytes, EVENT_LOG_POINTER2_1 (8+20), END.
    os_sinit = B{}.u32(7)
                   .u32(1)
                   .u64(0x801000)
                   .u64(0x4a000)
                   .u64(0x1bc00)
                   .u64(0)
                   .u64(0x8fa00000)
                   .u64(0x100000000)
                   .u64(0x13f800000)
                   .u64(0)
                   .u64(0)
                   .u32(0x602)
                   .u64(0x2472e20)
                   .u32(8)
                   .u32(28)
                   .u64(0xb9f30176)
                   .u32(0x2000)
                   .u32(0)
                   .u32(1510)
                   .u32(0)
                   .u32(8)
                   .b;
    // SinitMleData v9: 148 fixed bytes, MADT (8+12), END (8) = 176 bytes; then a 16-byte DMAR
    // table at region offset 8+176 = 184 and two MDRs at 200.
    B s;
    s.u32(9)
        .fill(20, 0x11)
        .u32(0)
        .u64(0)
        .fill(20, 0x22)
        .fill(20, 0x33)
        .fill(20, 0)
        .fill(20, 0)
        .u32(0)
        .u32(0xb9ed1ce0)
        .u32(0)
        .u32(2)
        .u32(200)
        .u32(16)
        .u32(184)
        .u32(1);
    s.u32(6).u32(20).fill(12, 0x5a).u32(0).u32(8);
    s.fill(16, 0xdd);
    s.u64(0x100000).u64(0xf00000).u8(0).fill(7, 0);
    s.u64(0xba000000).u64(0x2000000).u8(2).fill(7, 0);
    sinit_mle = s.b;
  }
  Bytes image() const {
    B h;
    region(h, bios);
    region(h, os_mle);
    region(h, os_sinit);
    region(h, sinit_mle);
    return h.b;
  }
};

TEST(TxtHeap, HandBuiltHeap) {
  Heap hb;
  const Bytes img = hb.image();
  auto h = parse_txt_heap(img, "heap.bin");
  ASSERT_TRUE(h.bios && h.os_mle && h.os_sinit && h.sinit_mle);
  EXPECT_EQ(h.regions[0]->offset, 0u);
  EXPECT_EQ(h.regions[0]->size, 86u);  // 78 + 8
  EXPECT_EQ(h.regions[1]->offset, 86u);
  EXPECT_EQ(h.regions[2]->offset, 86u + 24u);
  EXPECT_EQ(h.regions[2]->size, 136u);  // 92 + 28 + 8 + 8
  EXPECT_EQ(h.regions[3]->size, 248u);
  EXPECT_EQ(h.bios->version, 6u);
  EXPECT_EQ(h.bios->lcp_pd_base, 0x1000u);
  EXPECT_EQ(h.bios->num_logical_procs, 4u);
  EXPECT_EQ(h.bios->flags, 0x200000000u);
  ASSERT_EQ(h.bios->ext.size(), 3u);
  EXPECT_EQ(h.bios->ext[0].type, kHeapExtBiosSpecVer);
  EXPECT_EQ(h.bios->ext[0].spec_major, 2);
  EXPECT_EQ(h.bios->ext[0].spec_minor, 1);
  EXPECT_EQ(h.bios->ext[1].acm_addrs, std::vector<uint64_t>{0xffe60000});
  EXPECT_EQ(h.bios->ext[1].offset, 8u + 36u + 14u);
  EXPECT_EQ(h.bios->ext[2].type, kHeapExtEnd);
  EXPECT_EQ(h.os_mle->version, 3u);
  const auto& o = *h.os_sinit;
  EXPECT_EQ(o.version, 7u);
  EXPECT_EQ(o.flags, 1u);
  EXPECT_EQ(o.mle_size, 0x4a000u);
  EXPECT_EQ(o.vtd_pmr_hi_size, 0x13f800000u);
  EXPECT_EQ(o.capabilities, 0x602u);
  EXPECT_EQ(o.efi_rsdt_ptr, 0x2472e20u);
  ASSERT_EQ(o.ext.size(), 2u);
  EXPECT_EQ(o.ext[0].type, kHeapExtEventLogPtr21);
  EXPECT_EQ(o.ext[0].event_log_addr, 0xb9f30176u);
  EXPECT_EQ(o.ext[0].allocated_size, 0x2000u);
  EXPECT_EQ(o.ext[0].next_record_offset, 1510u);
  const auto& s = *h.sinit_mle;
  EXPECT_EQ(s.version, 9u);
  EXPECT_EQ(s.bios_acm_id[0], 0x11);
  EXPECT_EQ(s.sinit_hash[19], 0x22);
  EXPECT_EQ(s.mle_hash[0], 0x33);
  EXPECT_EQ(s.rlp_wakeup_addr, 0xb9ed1ce0u);
  EXPECT_EQ(s.proc_scrtm_status, 1u);
  ASSERT_EQ(s.mdrs.size(), 2u);
  EXPECT_EQ(s.mdrs[1].base, 0xba000000u);
  EXPECT_EQ(s.mdrs[1].length, 0x2000000u);
  EXPECT_EQ(s.mdrs[1].mem_type, 2);
  ASSERT_EQ(s.ext.size(), 2u);
  EXPECT_EQ(s.ext[0].type, kHeapExtMadt);
  EXPECT_EQ(s.ext[0].data, Bytes(12, 0x5a));
  auto j = h.to_json();
  EXPECT_EQ(j["os_sinit_data"]["capabilities"], "0x602");
  EXPECT_EQ(j["bios_data"]["ext_data_elts"][1]["name"], "ACM");
}

TEST(TxtHeap, OlderVersionsHaveFewerFields) {
  Heap hb;
  // BiosData v3 (no elements), OsSinitData v5 (no elements), SinitMleData v6 (no scrtm).
  hb.bios.resize(36);
  hb.bios[0] = 3;
  hb.os_sinit.resize(92);
  hb.os_sinit[0] = 5;
  B s;
  s.u32(6).fill(140, 0).b;
  hb.sinit_mle = s.b;
  auto h = parse_txt_heap(hb.image(), "old.bin");
  EXPECT_EQ(h.bios->version, 3u);
  EXPECT_TRUE(h.bios->flags.has_value());
  EXPECT_TRUE(h.bios->ext.empty());
  EXPECT_TRUE(h.os_sinit->efi_rsdt_ptr.has_value());
  EXPECT_TRUE(h.os_sinit->ext.empty());
  EXPECT_FALSE(h.sinit_mle->proc_scrtm_status.has_value());
}

// The error's offset, or a failure when parsing succeeds.
uint64_t error_offset(const Bytes& img, const std::string& want_in_message) {
  try {
    parse_txt_heap(img, "bad.bin");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_EQ(e.file(), "bad.bin");
    EXPECT_NE(e.message().find(want_in_message), std::string::npos) << e.message();
    return e.offset().value_or(~0ull);
  }
  ADD_FAILURE() << "accepted a hostile heap";
  return ~0ull;
}

TEST(TxtHeap, HostileInputs) {
  Heap hb;
  const Bytes good = hb.image();
  // BiosData claims more than the heap holds.
  Bytes b = good;
  put32(b, 0, 0x100000);
  EXPECT_EQ(error_offset(b, "overruns the heap"), 0u);
  // SinitMleData's size overruns by one byte.
  b = good;
  const size_t sinit = 86 + 24 + 136;
  put32(b, sinit, 249);
  EXPECT_EQ(error_offset(b, "overruns the heap"), sinit);
  // A size below its own field.
  b = good;
  put32(b, 86, 4);
  EXPECT_EQ(error_offset(b, "below its own 8-byte size field"), 86u);
  // An element size below its header (the ACM element at 8+36+14).
  b = good;
  put32(b, 8 + 36 + 14 + 4, 7);
  EXPECT_EQ(error_offset(b, "below its 8-byte header"), 8u + 36 + 14 + 4);
  // An element running past its region.
  b = good;
  put32(b, 8 + 36 + 14 + 4, 200);
  EXPECT_EQ(error_offset(b, "overruns its region"), 8u + 36 + 14 + 4);
  // num_acms beyond the element.
  b = good;
  put32(b, 8 + 36 + 14 + 8, 0x40000000);
  EXPECT_EQ(error_offset(b, "num_acms"), 8u + 36 + 14 + 8);
  // num_mdrs beyond the region (the field is at 128 of SinitMleData).
  b = good;
  put32(b, sinit + 8 + 128, 3);
  EXPECT_EQ(error_offset(b, "num_mdrs 3"), sinit + 8 + 128);
  put32(b, sinit + 8 + 128, 0xffffffff);
  EXPECT_EQ(error_offset(b, "overruns the region"), sinit + 8 + 128);
  // An undefined version.
  b = good;
  put32(b, 86 + 24 + 8, 3);
  EXPECT_EQ(error_offset(b, "OsSinitData version 3"), 86u + 24 + 8);
  // Truncated inside OsSinitData's region: the region now overruns.
  b.assign(good.begin(), good.begin() + 86 + 24 + 50);
  EXPECT_EQ(error_offset(b, "overruns the heap"), 86u + 24);
  // A fixed part shorter than the version needs (a region of only 20 bytes).
  B s;
  region(s, hb.bios);
  region(s, hb.os_mle);
  region(s, Bytes{7, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(error_offset(s.b, "truncated"), 86u + 24 + 8 + 8);
  // Empty.
  EXPECT_EQ(error_offset(Bytes{}, "empty"), 0u);
}

// Vector A (Dell E5470, TPM 2.0, tboot 1.10.2): the values below are those lines 534-805 of the
// vector print.
TEST(TxtHeap, VectorAText) {
  auto h = parse_txt_heap_text(testing::txt_vector_text("A_"), "A");
  EXPECT_EQ(h.base, 0xb9f20000u);
  ASSERT_TRUE(h.bios && h.os_mle && h.os_sinit && h.sinit_mle);
  EXPECT_EQ(h.regions[0]->offset, 0xb9f20008u);
  EXPECT_EQ(h.regions[0]->size, 0x56u);
  // Each region is printed at the address after the previous one.
  for (size_t i = 1; i < 4; ++i)
    EXPECT_EQ(h.regions[i]->offset, h.regions[i - 1]->offset + h.regions[i - 1]->size);
  EXPECT_EQ(h.bios->version, 6u);
  EXPECT_EQ(h.bios->num_logical_procs, 4u);
  EXPECT_EQ(h.bios->flags, 0x200000000u);
  ASSERT_EQ(h.bios->ext.size(), 2u);
  EXPECT_EQ(h.bios->ext[0].spec_major, 2);
  EXPECT_EQ(h.bios->ext[0].spec_minor, 1);
  EXPECT_EQ(h.bios->ext[1].acm_addrs, std::vector<uint64_t>{0xffe60000});
  EXPECT_EQ(h.os_mle->version, 3u);
  EXPECT_EQ(h.os_mle->loader_context_addr, 0x1000u);
  const auto& o = *h.os_sinit;
  EXPECT_EQ(o.version, 7u);
  EXPECT_EQ(o.flags, 1u);
  EXPECT_EQ(o.mle_ptab, 0x801000u);
  EXPECT_EQ(o.mle_size, 0x4a000u);
  EXPECT_EQ(o.mle_hdr_base, 0x1bc00u);
  EXPECT_EQ(o.vtd_pmr_lo_size, 0x8fa00000u);
  EXPECT_EQ(o.vtd_pmr_hi_base, 0x100000000u);
  EXPECT_EQ(o.vtd_pmr_hi_size, 0x13f800000u);
  EXPECT_EQ(o.capabilities, 0x602u);
  EXPECT_EQ(o.efi_rsdt_ptr, 0x2472e20u);
  ASSERT_EQ(o.ext.size(), 1u);
  EXPECT_EQ(o.ext[0].type, kHeapExtEventLogPtr21);
  EXPECT_EQ(o.ext[0].size, 28u);
  EXPECT_EQ(o.ext[0].allocated_size, 8192u);
  EXPECT_EQ(o.ext[0].first_record_offset, 0u);
  EXPECT_EQ(o.ext[0].next_record_offset, 1510u);
  const auto& s = *h.sinit_mle;
  EXPECT_EQ(s.version, 9u);
  EXPECT_EQ(s.bios_acm_id, (std::array<uint8_t, 20>{}));  // TPM 2.0: zero
  EXPECT_EQ(s.rlp_wakeup_addr, 0xb9ed1ce0u);
  EXPECT_EQ(s.num_mdrs, 7u);
  EXPECT_EQ(s.mdrs_off, 0x254u);
  EXPECT_EQ(s.num_vtd_dmars, 168u);
  EXPECT_EQ(s.vtd_dmars_off, 0x1acu);
  ASSERT_EQ(s.mdrs.size(), 7u);
  EXPECT_EQ(s.mdrs[2].base, 0x1000000u);
  EXPECT_EQ(s.mdrs[2].length, 0xb9c00000u - 0x1000000u);
  EXPECT_EQ(s.mdrs[4].mem_type, 2);  // SMRAM NON-OVERLAY
  EXPECT_EQ(s.mdrs[5].mem_type, 3);  // PCIE EXTENDED CONFIG
  EXPECT_EQ(s.proc_scrtm_status, 0u);
  ASSERT_EQ(s.ext.size(), 2u);
  EXPECT_EQ(s.ext[0].type, 6u);
  EXPECT_EQ(s.ext[0].size, 196u);
  EXPECT_EQ(s.ext[1].type, 9u);
  EXPECT_EQ(s.ext[1].size, 68u);
  // The printed offsets agree with the printed sizes (tboot's layout: elements after the 148
  // fixed bytes, then the DMAR table, then the MDRs ending the region).
  EXPECT_EQ(8u + 148 + 196 + 68 + 8, s.vtd_dmars_off);
  EXPECT_EQ(s.vtd_dmars_off + s.num_vtd_dmars, s.mdrs_off);
  EXPECT_EQ(s.mdrs_off + 24u * s.num_mdrs, h.regions[3]->size);
}

// Vector C (ThinkPad T460p, TPM 1.2 legacy, tboot 1.10.3): lines 493-603.
TEST(TxtHeap, VectorCText) {
  auto h = parse_txt_heap_text(testing::txt_vector_text("C_"), "C");
  ASSERT_TRUE(h.bios && h.os_sinit && h.sinit_mle);
  EXPECT_EQ(h.bios->num_logical_procs, 8u);
  EXPECT_EQ(h.bios->ext[1].acm_addrs, std::vector<uint64_t>{0xfff4f000});
  EXPECT_EQ(h.os_mle->loader_context_addr, 0x2d000u);
  EXPECT_EQ(h.os_sinit->flags, 0u);
  EXPECT_EQ(h.os_sinit->capabilities, 0x402u);
  EXPECT_EQ(h.os_sinit->mle_hdr_base, 0x1b320u);
  ASSERT_EQ(h.os_sinit->ext.size(), 1u);
  EXPECT_EQ(h.os_sinit->ext[0].type, kHeapExtTpmEventLogPtr);
  EXPECT_EQ(h.os_sinit->ext[0].size, 16u);
  EXPECT_EQ(h.os_sinit->ext[0].event_log_addr, 0xb8f30176u);
  // OsSinitData v7 with one 16-byte element and END: 92 + 16 + 8 + 8 = 0x7c.
  EXPECT_EQ(h.regions[2]->size, 0x7cu);
  const auto& s = *h.sinit_mle;
  EXPECT_EQ(s.version, 8u);
  EXPECT_EQ(to_hex(s.bios_acm_id), "ffffffff3006162006b000000001ffffffffffff");
  EXPECT_EQ(to_hex(s.sinit_hash), "a1df9099e38f3704e38b1ef22218ed018fd5bf8a");
  EXPECT_EQ(to_hex(s.mle_hash), "48b765af300ab0dbf41c29a30db73a3afc370f1d");
  EXPECT_EQ(s.lcp_policy_control, 0u);
  EXPECT_EQ(s.mdrs.size(), 7u);
  EXPECT_EQ(s.proc_scrtm_status, 0u);
  EXPECT_TRUE(s.ext.empty());
}

// Vector D (Lenovo, TPM 1.2, tboot 1.9.12 serial log): BiosData v3, OsSinitData v5,
// SinitMleData v6 (lines 459-528).
TEST(TxtHeap, VectorDText) {
  auto h = parse_txt_heap_text(testing::txt_vector_text("D_"), "D");
  ASSERT_TRUE(h.bios && h.os_sinit && h.sinit_mle);
  EXPECT_EQ(h.bios->version, 3u);
  EXPECT_EQ(h.bios->flags, 1u);
  EXPECT_EQ(h.regions[0]->size, 0x2cu);  // 36 fixed bytes + 8
  EXPECT_EQ(h.os_sinit->version, 5u);
  EXPECT_EQ(h.os_sinit->capabilities, 2u);
  EXPECT_EQ(h.os_sinit->efi_rsdt_ptr, 0u);
  EXPECT_EQ(h.regions[2]->size, 0x64u);  // 92 + 8
  const auto& s = *h.sinit_mle;
  EXPECT_EQ(s.version, 6u);
  EXPECT_EQ(to_hex(s.bios_acm_id), "800000002008051500002a4000000000ffffffff");
  EXPECT_EQ(to_hex(s.sinit_hash), "cc08beb0d8cb7b04068a5ef0cb1f3174c6306d43");
  EXPECT_EQ(to_hex(s.mle_hash), "c9182c8027e88e6b4b619e5ab3fad25952c503d3");
  EXPECT_FALSE(s.proc_scrtm_status.has_value());
  EXPECT_EQ(s.num_vtd_dmars, 272u);
  ASSERT_EQ(s.mdrs.size(), 7u);
  EXPECT_EQ(s.mdrs[6].base, 0xe0000000u);
}

TEST(TxtHeap, TextCountsBeyondWhatIsPrinted) {
  const std::string t =
      "bios_data (@0x1008, 0x56):\n"
      "\t version: 6\n"
      "\t ext_data_elts[]:\n"
      "\t\t ACM:\n"
      "\t\t     num_acms: 4000000000\n"
      "\t\t     acm_addrs[0]: 0xffe60000\n"
      "TBOOT: something else\n";
  try {
    parse_txt_heap_text(t, "t.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("num_acms is 4000000000 but 1"), std::string::npos) << e.message();
    EXPECT_EQ(e.offset(), t.find("TBOOT: something"));
  }
  const std::string m =
      "sinit_mle_data (@0x1008, 0x2fc):\n"
      "\t version: 9\n"
      "\t num_mdrs: 3\n"
      "\t sinit_mdrs:\n"
      "\t\t 0000000000000000 - 00000000000a0000 (GOOD)\n";
  EXPECT_THROW(parse_txt_heap_text(m, "m.txt"), Error);
  EXPECT_THROW(parse_txt_heap_text("no heap here\n", "x.txt"), Error);
}

}  // namespace
}  // namespace integral
