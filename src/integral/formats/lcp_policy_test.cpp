#include "integral/formats/lcp_policy.h"

#include <gtest/gtest.h>

#include <cstring>

#include "integral/formats/test_bytes.h"
#include "integral/util/error.h"

namespace integral {
namespace {

using B = testing::LeBytes;

// An element: size (12 + body), type, control 1, body.
Bytes element(uint32_t type, const Bytes& body) {
  return B{}.u32(static_cast<uint32_t>(12 + body.size())).u32(type).u32(1).add(body).b;
}

// The elements below follow lcp3.h's field lists and the bytes lcp2_crtpolelt writes.
Bytes mle2() {
  return element(0x10, B{}.u8(3).u8(0).u16(0x0b).u16(1).fill(32, 0xaa).b);
}
Bytes stm2() {
  return element(0x14, B{}.u16(0x0b).u16(2).fill(32, 0xaa).fill(32, 0xbb).b);
}
Bytes sbios2() {
  return element(0x12, B{}.u16(0x0b).u16(0).fill(32, 0xaa).u16(0).u16(1).fill(32, 0xcc).b);
}
Bytes custom2() {
  return element(0x13, B{}.fill(16, 0x41).add({'h', 'i'}).b);
}
Bytes pconf2() {
  // TPMS_QUOTE_INFO is big-endian: count 1, bank 0x000b, 3 select bytes, digest size 32.
  return element(
      0x11, B{}.u16(0x0b).u16(1).add({0, 0, 0, 1, 0, 0x0b, 3, 1, 0, 0, 0, 32}).fill(32, 0xee).b);
}
Bytes mle_legacy() {
  return element(0x00, B{}.u8(2).u8(0).u16(1).fill(20, 0xbb).b);
}
Bytes pconf_legacy() {
  return element(0x01, B{}.u16(1).add({0, 1, 1, 0x1f}).fill(20, 0x94).b);
}

// LCP_POLICY_LIST2 up to its elements: version 2.0, sig_alg, policy_elements_size, `body`.
B list2_head(uint16_t sig_alg, const Bytes& body) {
  return B{}.u16(0x0200).u16(sig_alg).u32(static_cast<uint32_t>(body.size())).add(body);
}
Bytes list2(const std::vector<Bytes>& elts) {
  B body;
  for (const auto& e : elts) body.add(e);
  return list2_head(0x10, body.b).b;
}
Bytes list1(const std::vector<Bytes>& elts) {
  B body;
  for (const auto& e : elts) body.add(e);
  return B{}.u16(0x0100).u8(0).u8(0).u32(static_cast<uint32_t>(body.b.size())).add(body.b).b;
}
Bytes data_file(const std::vector<Bytes>& lists) {
  B f;
  const char sig[] = "Intel(R) TXT LCP_POLICY_DATA";
  f.b.assign(sig, sig + std::strlen(sig));
  f.fill(32 - f.b.size(), 0).fill(3, 0).u8(static_cast<uint8_t>(lists.size()));
  for (const auto& l : lists) f.add(l);
  return f.b;
}

TEST(LcpPolicy, DataFileListsAndElements) {
  const Bytes l0 = list2({mle2(), stm2(), sbios2(), custom2(), pconf2()});
  const Bytes l1 = list1({mle_legacy(), pconf_legacy()});
  const Bytes f = data_file({l0, l1});
  auto d = parse_lcp_policy_data(f, "pol.data");
  ASSERT_EQ(d.lists.size(), 2u);
  EXPECT_EQ(d.lists[0].offset, 36u);
  EXPECT_EQ(d.lists[0].size, l0.size());
  EXPECT_FALSE(d.lists[0].is_signed);
  const auto& e = d.lists[0].elements;
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].sinit_min_version, 3);
  EXPECT_EQ(e[0].hashes, std::vector<Bytes>{Bytes(32, 0xaa)});
  EXPECT_EQ(e[1].hashes.size(), 2u);
  EXPECT_EQ(e[1].hashes[1], Bytes(32, 0xbb));
  EXPECT_EQ(e[2].fallback_hash, Bytes(32, 0xaa));
  EXPECT_EQ(e[2].hashes, std::vector<Bytes>{Bytes(32, 0xcc)});
  EXPECT_EQ(e[3].uuid, Bytes(16, 0x41));
  EXPECT_EQ(e[3].custom_data, (Bytes{'h', 'i'}));
  ASSERT_EQ(e[4].pcr_infos.size(), 1u);
  EXPECT_EQ(e[4].pcr_infos[0].alg, 0x0b);
  EXPECT_EQ(e[4].pcr_infos[0].pcr_select, (Bytes{1, 0, 0}));
  EXPECT_EQ(e[4].pcr_infos[0].digest, Bytes(32, 0xee));
  const auto& g = d.lists[1].elements;
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].hashes, std::vector<Bytes>{Bytes(20, 0xbb)});
  EXPECT_EQ(g[1].pcr_infos[0].locality, 0x1f);
  EXPECT_EQ(g[1].pcr_infos[0].pcr_select, Bytes{1});
  // PolicyHash = H(H(list 0) || H(list 1)) over the unsigned lists' bytes.
  Bytes cat;
  for (const auto& l : {l0, l1}) {
    auto h = hash(HashAlg::kSha256, l);
    cat.insert(cat.end(), h.bytes().begin(), h.bytes().end());
  }
  EXPECT_EQ(d.lists_hash(HashAlg::kSha256), hash(HashAlg::kSha256, cat));
}

// A data file of the one signed list l: its revocation counter and size as built, and a lists
// hash (in `alg`) over the hash of its signed part, the key.
void expect_signed_list(const Bytes& l, const std::string& file, uint16_t counter, HashAlg alg,
                        const Bytes& key) {
  auto d = parse_lcp_policy_data(data_file({l}), file);
  ASSERT_TRUE(d.lists[0].is_signed);
  EXPECT_EQ(d.lists[0].revocation_counter, counter);
  EXPECT_EQ(d.lists[0].size, l.size());
  auto inner = hash(alg, key);
  EXPECT_EQ(d.lists_hash(alg), hash(alg, Bytes(inner.bytes().begin(), inner.bytes().end())));
}

TEST(LcpPolicy, SignedListHashesItsKey) {
  // LCP_POLICY_LIST2 signed with RSASSA: revocation counter, key size 4, key, signature.
  Bytes body = mle2();
  Bytes l = list2_head(0x14, body).u16(7).u16(4).add({1, 2, 3, 4}).add({9, 9, 9, 9}).b;
  expect_signed_list(l, "s.data", 7, HashAlg::kSha1, {1, 2, 3, 4});
}

// LCP_POLICY_LIST2_1 signed with a (toy, 32-bit) RSA key, laid out as lcp2_crtpollist writes
// it: RevocationCounter after the elements, KeySignatureOffset pointing past it.
TEST(LcpPolicy, SignedList21HashesItsModulus) {
  Bytes body = mle2();
  const auto es = static_cast<uint32_t>(body.size());
  Bytes l = B{}.u16(0x0300)
                .u16(static_cast<uint16_t>(8 + es + 2))
                .u32(es)
                .add(body)
                .u16(6)
                .u8(0x10)
                .u16(1)
                .u8(0x10)
                .u16(32)
                .u32(0x10001)
                .add({5, 6, 7, 8})
                .u16(0x16)
                .u8(0x10)
                .u16(32)
                .u16(0x0b)
                .add({0, 0, 0, 1})
                .b;
  expect_signed_list(l, "s21.data", 6, HashAlg::kSha256, {5, 6, 7, 8});
  // A KeySignatureOffset elsewhere is refused at the field.
  Bytes bad = l;
  bad[2] = static_cast<uint8_t>(bad[2] + 1);
  try {
    parse_lcp_policy_data(data_file({bad}), "s21.data");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.offset(), 36u + 2);
  }
}

// v3.2 as lcp2_crtpol writes it: 38 bytes then a PolicyHash of the policy's algorithm.
TEST(LcpPolicy, PolicyV3AndV2) {
  Bytes p3 = B{}.u16(0x0302)
                 .u16(0x0c)
                 .u8(0)
                 .u8(0)
                 .fill(16, 0)
                 .u32(6)
                 .u8(0xff)
                 .u8(0)
                 .u16(0x48)
                 .u32(0x80)
                 .u16(0)
                 .u16(0)
                 .fill(48, 0x5a)
                 .b;
  auto p = parse_lcp_policy(p3, "p3.pol");
  EXPECT_EQ(p.version, 0x0302);
  EXPECT_EQ(p.alg(), HashAlg::kSha384);
  EXPECT_EQ(p.policy_control, 6u);
  EXPECT_EQ(p.max_sinit_min_version, 0xff);
  EXPECT_EQ(p.lcp_hash_alg_mask, 0x48);
  EXPECT_EQ(p.lcp_sign_alg_mask, 0x80u);
  EXPECT_EQ(p.policy_hash, Bytes(48, 0x5a));
  EXPECT_EQ(p.raw.size(), 86u);
  EXPECT_EQ(p.structure_hash(HashAlg::kSha1), hash(HashAlg::kSha1, p3));
  // v2.4 (TPM 1.2): u8 hash algorithm, 54 bytes; trailing NV bytes are reported, not hashed.
  Bytes p2 = B{}.u16(0x0204)
                 .u8(0)
                 .u8(0)
                 .u8(0)
                 .u8(0)
                 .fill(16, 0)
                 .u32(2)
                 .u8(0xff)
                 .u8(0)
                 .u16(0)
                 .u32(0)
                 .fill(20, 0x77)
                 .b;
  Bytes nv = p2;
  nv.resize(70, 0);
  auto q = parse_lcp_policy(nv, "nv.bin");
  EXPECT_EQ(q.alg(), HashAlg::kSha1);
  EXPECT_EQ(q.policy_control, 2u);
  EXPECT_EQ(q.raw, p2);
  EXPECT_EQ(q.trailing, 16u);
  EXPECT_EQ(q.structure_hash(HashAlg::kSha1), hash(HashAlg::kSha1, p2));
}

uint64_t data_error(const Bytes& f, const std::string& want) {
  try {
    parse_lcp_policy_data(f, "bad.data");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(e.message().find(want), std::string::npos) << e.message();
    return e.offset().value_or(~0ull);
  }
  ADD_FAILURE() << "accepted hostile data";
  return ~0ull;
}

void put(Bytes& b, size_t off, uint32_t v, int n = 4) {
  for (int i = 0; i < n; ++i) b[off + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}

TEST(LcpPolicy, HostileInputs) {
  const Bytes good = data_file({list2({mle2(), stm2()})});
  Bytes b = good;
  put(b, 36 + 4, 0x7fffffff);  // policy_elements_size beyond the file
  EXPECT_EQ(data_error(b, "overruns the file"), 40u);
  b = good;
  put(b, 44, 11);  // first element below its header
  EXPECT_EQ(data_error(b, "below its 12-byte header"), 44u);
  b = good;
  put(b, 44, 0x1000);  // first element beyond its list
  EXPECT_EQ(data_error(b, "overruns its list"), 44u);
  b = good;
  put(b, 44 + 12 + 4, 0xffff, 2);  // MLE2 num_hashes beyond the element
  EXPECT_EQ(data_error(b, "65535 hashes"), 44u + 16);
  b = good;
  put(b, 44 + 12 + 2, 0x99, 2);  // unknown hash algorithm
  EXPECT_EQ(data_error(b, "unknown hash algorithm 0x0099"), 44u + 14);
  b = good;
  b[35] = 9;
  EXPECT_EQ(data_error(b, "exceeds"), 35u);
  b = good;
  b[35] = 2;  // a second list that is not there
  EXPECT_EQ(data_error(b, "truncated"), good.size());
  b = good;
  b[0] = 'X';
  EXPECT_EQ(data_error(b, "signature"), 0u);
  // Signed list whose key size runs past the end.
  Bytes body = mle2();
  Bytes l = list2_head(0x14, body).u16(0).u16(0xffff).b;
  EXPECT_EQ(data_error(data_file({l}), "RSA key"), 36u + 8 + body.size() + 4);
  // Policies: truncated, unknown version, unknown algorithm.
  EXPECT_THROW(parse_lcp_policy(Bytes{2, 3, 0x0b, 0}, "p"), Error);
  EXPECT_THROW(parse_lcp_policy(Bytes(86, 0), "p"), Error);
  Bytes p3(70, 0);
  put(p3, 0, 0x0300, 2);
  put(p3, 2, 0x77, 2);
  try {
    parse_lcp_policy(p3, "p3");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.offset(), 2u);
  }
}

}  // namespace
}  // namespace integral
