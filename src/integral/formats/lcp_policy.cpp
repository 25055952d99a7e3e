#include "integral/formats/lcp_policy.h"

#include <fmt/format.h>

#include <cstring>
#include <utility>

#include "integral/util/byte_reader.h"
#include "integral/util/error.h"

namespace integral {

std::string_view lcp_element_type_name(uint32_t type) {
  switch (type) {
    case 0x00:
      return "MLE";
    case 0x01:
      return "PCONF";
    case 0x02:
      return "SBIOS";
    case 0x03:
      return "CUSTOM";
    case 0x10:
      return "MLE2";
    case 0x11:
      return "PCONF2";
    case 0x12:
      return "SBIOS2";
    case 0x13:
      return "CUSTOM2";
    case 0x14:
      return "STM2";
    default:
      return "";
  }
}

namespace {

constexpr std::string_view kDataSignature("Intel(R) TXT LCP_POLICY_DATA\0\0\0\0", 32);
constexpr uint16_t kAlgRsa = 0x0001, kAlgNull = 0x0010, kAlgRsassa = 0x0014, kAlgEcdsa = 0x0018,
                   kAlgSm2 = 0x001B, kAlgEcc = 0x0023;

uint16_t be16(const ByteReader& r, uint64_t off, std::string_view what) {
  auto b = r.bytes(off, 2, what);
  return static_cast<uint16_t>((b[0] << 8) | b[1]);
}
uint32_t be32(const ByteReader& r, uint64_t off, std::string_view what) {
  return (static_cast<uint32_t>(be16(r, off, what)) << 16) | be16(r, off + 2, what);
}

size_t alg_size(const ByteReader& r, uint64_t off, uint16_t alg) {
  auto a = hash_alg_from_id(alg);
  if (!a) r.fail(off, fmt::format("unknown hash algorithm {:#06x}", alg));
  return digest_size(*a);
}

Bytes copy(std::span<const uint8_t> s) {
  return Bytes(s.begin(), s.end());
}

// `count` digests of `dsize` bytes at `off`, within [off, end).
std::vector<Bytes> digests(const ByteReader& r, uint64_t off, uint64_t end, uint64_t count,
                           size_t dsize, uint64_t count_off) {
  if (off > end || count > (end - off) / dsize)
    r.fail(count_off, fmt::format("{} hashes of {} bytes do not fit the element ({} bytes left)",
                                  count, dsize, off > end ? 0 : end - off));
  std::vector<Bytes> out;
  for (uint64_t i = 0; i < count; ++i) out.push_back(copy(r.bytes(off + i * dsize, dsize, "hash")));
  return out;
}

// Fails unless the body of element e (after its 12-byte header) holds `len` bytes.
void need(const ByteReader& r, const LcpElement& e, uint64_t len) {
  if (e.size - 12 < len)
    r.fail(e.offset, fmt::format("{} element of {} bytes is too small ({} needed)",
                                 lcp_element_type_name(e.type), e.size, len + 12));
}

// The element bodies, each from d (after the header) to eend (the element's end).

void legacy_mle(const ByteReader& r, LcpElement& e, uint64_t d, uint64_t eend) {  // SHA-1 only
  need(r, e, 4);
  e.sinit_min_version = r.u8(d, "sinit_min_version");
  e.hash_alg = static_cast<uint16_t>(HashAlg::kSha1);
  e.hashes = digests(r, d + 4, eend, r.u16(d + 2, "num_hashes"), 20, d + 2);
}

// TPM_PCR_INFO_SHORT (big-endian TPM 1.2 structures).
void legacy_pconf(const ByteReader& r, LcpElement& e, uint64_t d, uint64_t eend) {
  need(r, e, 2);
  const uint16_t n = r.u16(d, "num_pcr_infos");
  uint64_t p = d + 2;
  for (uint16_t i = 0; i < n; ++i) {
    LcpPcrInfo info;
    info.alg = static_cast<uint16_t>(HashAlg::kSha1);
    const uint16_t sel = be16(r, p, "sizeOfSelect");
    if (p + 2 > eend || sel > eend - p - 2)
      r.fail(p, fmt::format("pcr info {} of {} overruns the element", i, n));
    info.pcr_select = copy(r.bytes(p + 2, sel, "pcrSelect"));
    p += 2u + sel;
    if (eend - p < 21) r.fail(p, fmt::format("pcr info {} of {} overruns the element", i, n));
    info.locality = r.u8(p, "localityAtRelease");
    info.digest = copy(r.bytes(p + 1, 20, "digestAtRelease"));
    p += 21;
    e.pcr_infos.push_back(std::move(info));
  }
}

void custom(const ByteReader& r, LcpElement& e, uint64_t d, uint64_t eend) {  // uuid, vendor data
  need(r, e, 16);
  e.uuid = copy(r.bytes(d, 16, "uuid"));
  e.custom_data = copy(r.bytes(d + 16, eend - d - 16, "custom data"));
}

void mle2(const ByteReader& r, LcpElement& e, uint64_t d, uint64_t eend) {
  need(r, e, 6);
  e.sinit_min_version = r.u8(d, "sinit_min_version");
  e.hash_alg = r.u16(d + 2, "hash_alg");
  e.hashes =
      digests(r, d + 6, eend, r.u16(d + 4, "num_hashes"), alg_size(r, d + 2, *e.hash_alg), d + 4);
}

// TPMS_QUOTE_INFO (big-endian TPM 2.0 structures).
void pconf2(const ByteReader& r, LcpElement& e, uint64_t d, uint64_t eend) {
  need(r, e, 4);
  e.hash_alg = r.u16(d, "hash_alg");
  const uint16_t n = r.u16(d + 2, "num_pcr_infos");
  uint64_t p = d + 4;
  for (uint16_t i = 0; i < n; ++i) {
    const uint32_t count = be32(r, p, "TPML_PCR_SELECTION count");
    if (count != 1) r.fail(p, fmt::format("pcr info {} has {} selections (1 expected)", i, count));
    LcpPcrInfo info;
    info.alg = be16(r, p + 4, "pcr bank");
    const uint8_t sel = r.u8(p + 6, "sizeofSelect");
    info.pcr_select = copy(r.bytes(p + 7, sel, "pcrSelect"));
    p += 7u + sel;
    const uint16_t ds = be16(r, p, "digest size");
    info.digest = copy(r.bytes(p + 2, ds, "pcr digest"));
    p += 2u + ds;
    if (p > eend) r.fail(e.offset, fmt::format("pcr info {} of {} overruns the element", i, n));
    e.pcr_infos.push_back(std::move(info));
  }
}

void sbios2(const ByteReader& r, LcpElement& e, uint64_t d, uint64_t eend) {
  need(r, e, 4);
  e.hash_alg = r.u16(d, "hash_alg");
  const size_t ds = alg_size(r, d, *e.hash_alg);
  need(r, e, 4 + ds + 4);
  e.fallback_hash = copy(r.bytes(d + 4, ds, "fallback hash"));
  e.hashes = digests(r, d + 8 + ds, eend, r.u16(d + 6 + ds, "num_hashes"), ds, d + 6 + ds);
}

void stm2(const ByteReader& r, LcpElement& e, uint64_t d, uint64_t eend) {
  need(r, e, 4);
  e.hash_alg = r.u16(d, "hash_alg");
  e.hashes =
      digests(r, d + 4, eend, r.u16(d + 2, "num_hashes"), alg_size(r, d, *e.hash_alg), d + 2);
}

// The element types read by their layout; the legacy SBIOS layout (0x02) is not confirmed by a
// peer here, so it and unknown types are kept as bytes.
using ElementReader = void (*)(const ByteReader&, LcpElement&, uint64_t, uint64_t);
constexpr std::pair<uint32_t, ElementReader> kElementReaders[] = {
    {0x00, legacy_mle}, {0x01, legacy_pconf}, {0x03, custom}, {0x13, custom},
    {0x10, mle2},       {0x11, pconf2},       {0x12, sbios2}, {0x14, stm2},
};

LcpElement parse_element(const ByteReader& r, uint64_t off, uint64_t end) {
  LcpElement e;
  e.offset = off;
  if (end - off < 12)
    r.fail(off, fmt::format("element header needs 12 bytes, {} remain", end - off));
  e.size = r.u32(off, "element size");
  e.type = r.u32(off + 4, "element type");
  e.control = r.u32(off + 8, "element control");
  if (e.size < 12) r.fail(off, fmt::format("element size {} is below its 12-byte header", e.size));
  if (e.size > end - off)
    r.fail(off,
           fmt::format("element size {} overruns its list ({} bytes remain)", e.size, end - off));
  const uint64_t d = off + 12, eend = off + e.size;
  for (const auto& [type, read] : kElementReaders)
    if (type == e.type) read(r, e, d, eend);
  return e;
}

// A 1.x or 2.x list's signature at p (after the elements): revocation counter, key size, key
// and signature (an ECC key and signature are two values each). Returns where it ends.
uint64_t pubkey_signature(const ByteReader& r, LcpList& l, uint64_t p, bool ecc) {
  l.is_signed = true;
  l.revocation_counter = r.u16(p, "revocation_counter");
  const uint16_t ks = r.u16(p + 2, "pubkey_size");
  if (ecc) {
    r.need(p + 8, 4ull * ks, "ECC key and signature");
    l.measured_offset = p + 8;
    l.measured_size = 2ull * ks;
    return p + 8 + 4ull * ks;
  }
  r.need(p + 4, 2ull * ks, "RSA key and signature");
  l.measured_offset = p + 4;
  l.measured_size = ks;
  return p + 4 + 2ull * ks;
}

// LCP_SIGNATURE_2_1 of the 3.x list at off whose elements end at eend: RevocationCounter u16,
// then at KeySignatureOffset the key and signature: Version u8, KeyAlg u16, the key (Version
// u8, KeySize u16 in bits, then RSA: Exponent u32 and Modulus; ECC: Qx||Qy), SigScheme u16 and
// the signature (Version u8, KeySize u16, HashAlg u16, then as many bytes as the key: RSA one,
// ECC two key lengths). Returns where it ends.
uint64_t signature_2_1(const ByteReader& r, LcpList& l, uint64_t off, uint64_t eend) {
  if (l.key_signature_offset != 8 + l.elements_size + 2)
    r.fail(off + 2, fmt::format("KeySignatureOffset {} is not after the elements and the "
                                "revocation counter ({})",
                                l.key_signature_offset, 8 + l.elements_size + 2));
  l.is_signed = true;
  l.revocation_counter = r.u16(eend, "RevocationCounter");
  const uint64_t q = off + l.key_signature_offset;
  const uint16_t key_alg = r.u16(q + 1, "KeyAlg");
  const uint64_t kb = r.u16(q + 4, "KeySize") / 8u;
  if (key_alg == kAlgRsa) {
    l.measured_offset = q + 10;
    l.measured_size = kb;
    r.need(q, 17 + 2 * kb, "RSA key and signature");
    return q + 17 + 2 * kb;
  }
  if (key_alg == kAlgEcc) {
    l.measured_offset = q + 6;
    l.measured_size = 2 * kb;
    r.need(q, 13 + 4 * kb, "ECC key and signature");
    return q + 13 + 4 * kb;
  }
  r.fail(q + 1, fmt::format("unknown KeyAlg {:#06x}", key_alg));
}

// The signature, if any, of the list at off (major version `major`) whose elements end at eend;
// returns where the list ends.
uint64_t list_signature(const ByteReader& r, LcpList& l, uint64_t off, uint64_t eend,
                        uint8_t major) {
  if (major == 1) {
    if (l.sig_alg == 1) return pubkey_signature(r, l, eend, false);
    if (l.sig_alg != 0) r.fail(off + 3, fmt::format("unknown list sig_alg {}", l.sig_alg));
  } else if (major == 2) {
    if (l.sig_alg == kAlgRsassa) return pubkey_signature(r, l, eend, false);
    if (l.sig_alg == kAlgEcdsa || l.sig_alg == kAlgSm2) return pubkey_signature(r, l, eend, true);
    if (l.sig_alg != kAlgNull && l.sig_alg != 0)
      r.fail(off + 2, fmt::format("unknown list sig_alg {:#06x}", l.sig_alg));
  } else if (l.key_signature_offset != 0) {
    return signature_2_1(r, l, off, eend);
  }
  return eend;
}

// A list at `off` of the data file; returns it with its size.
LcpList parse_list(const ByteReader& r, uint64_t off) {
  LcpList l;
  l.offset = off;
  l.version = r.u16(off, "list version");
  const uint8_t major = static_cast<uint8_t>(l.version >> 8);
  if (major == 1) {
    l.sig_alg = r.u8(off + 3, "sig_alg");
  } else if (major == 2) {
    l.sig_alg = r.u16(off + 2, "sig_alg");
  } else if (major == 3) {
    l.key_signature_offset = r.u16(off + 2, "KeySignatureOffset");
  } else {
    r.fail(off, fmt::format("policy list version {:#06x} is not 1.x, 2.x or 3.x", l.version));
  }
  l.elements_size = r.u32(off + 4, "policy_elements_size");
  const uint64_t elts = off + 8;
  if (l.elements_size > r.size() - elts)
    r.fail(off + 4, fmt::format("policy_elements_size {} overruns the file ({} bytes remain)",
                                l.elements_size, r.size() - elts));
  const uint64_t eend = elts + l.elements_size;
  for (uint64_t p = elts; p < eend; p += l.elements.back().size)
    l.elements.push_back(parse_element(r, p, eend));
  const uint64_t end = list_signature(r, l, off, eend, major);
  if (!l.is_signed) {
    l.measured_offset = off;
    l.measured_size = end - off;
  }
  l.size = end - off;
  return l;
}

std::string hexs(const Bytes& b) {
  return to_hex(b);
}

nlohmann::ordered_json element_json(const LcpElement& e) {
  nlohmann::ordered_json j;
  j["offset"] = e.offset;
  j["type"] = fmt::format("{:#x}", e.type);
  j["name"] = std::string(lcp_element_type_name(e.type));
  j["size"] = e.size;
  j["control"] = fmt::format("{:#x}", e.control);
  if (e.hash_alg) {
    auto a = hash_alg_from_id(*e.hash_alg);
    j["hash_alg"] = a ? std::string(hash_alg_name(*a)) : fmt::format("{:#06x}", *e.hash_alg);
  }
  if (e.sinit_min_version) j["sinit_min_version"] = *e.sinit_min_version;
  if (!e.fallback_hash.empty()) j["fallback_hash"] = hexs(e.fallback_hash);
  if (e.type == 0x00 || e.type == 0x10 || e.type == 0x12 || e.type == 0x14) {
    auto& h = j["hashes"] = nlohmann::ordered_json::array();
    for (const auto& x : e.hashes) h.push_back(hexs(x));
  }
  if (!e.uuid.empty()) {
    j["uuid"] = hexs(e.uuid);
    j["data"] = hexs(e.custom_data);
  }
  if (e.type == 0x01 || e.type == 0x11) {
    auto& p = j["pcr_infos"] = nlohmann::ordered_json::array();
    for (const auto& i : e.pcr_infos) {
      nlohmann::ordered_json x;
      x["alg"] = fmt::format("{:#06x}", i.alg);
      x["pcr_select"] = to_hex(i.pcr_select);
      if (i.locality) x["locality"] = *i.locality;
      x["digest"] = hexs(i.digest);
      p.push_back(x);
    }
  }
  return j;
}

}  // namespace

bool is_lcp_policy_data(std::span<const uint8_t> bytes) {
  return bytes.size() >= kDataSignature.size() &&
         std::memcmp(bytes.data(), kDataSignature.data(), kDataSignature.size()) == 0;
}

LcpPolicyData parse_lcp_policy_data(std::span<const uint8_t> bytes, const std::string& file) {
  ByteReader r(bytes, file);
  if (!is_lcp_policy_data(bytes)) r.fail(0, "not an LCP policy data file (signature)");
  LcpPolicyData d;
  d.num_lists = r.u8(35, "NumLists");
  if (d.num_lists > 8) r.fail(35, fmt::format("NumLists {} exceeds LCP's 8 lists", d.num_lists));
  uint64_t off = 36;
  for (unsigned i = 0; i < d.num_lists; ++i) {
    d.lists.push_back(parse_list(r, off));
    off += d.lists.back().size;
  }
  d.raw.assign(bytes.begin(), bytes.end());
  return d;
}

Digest LcpPolicyData::lists_hash(HashAlg alg) const {
  Bytes cat;
  for (const auto& l : lists) {
    auto h = hash(alg, std::span(raw).subspan(l.measured_offset, l.measured_size));
    cat.insert(cat.end(), h.bytes().begin(), h.bytes().end());
  }
  return hash(alg, cat);
}

nlohmann::ordered_json LcpPolicyData::to_json() const {
  nlohmann::ordered_json j;
  j["num_lists"] = num_lists;
  auto& ls = j["lists"] = nlohmann::ordered_json::array();
  for (const auto& l : lists) {
    nlohmann::ordered_json x;
    x["offset"] = l.offset;
    x["size"] = l.size;
    x["version"] = fmt::format("{:#06x}", l.version);
    if (l.version >> 8 == 3) {
      x["key_signature_offset"] = l.key_signature_offset;
    } else {
      x["sig_alg"] = fmt::format("{:#x}", l.sig_alg);
    }
    x["policy_elements_size"] = l.elements_size;
    x["signed"] = l.is_signed;
    if (l.is_signed) x["revocation_counter"] = l.revocation_counter;
    auto& es = x["elements"] = nlohmann::ordered_json::array();
    for (const auto& e : l.elements) es.push_back(element_json(e));
    ls.push_back(x);
  }
  return j;
}

LcpPolicy parse_lcp_policy(std::span<const uint8_t> bytes, const std::string& file) {
  ByteReader r(bytes, file);
  LcpPolicy p;
  p.version = r.u16(0, "LCP_POLICY version");
  const uint8_t major = static_cast<uint8_t>(p.version >> 8);
  uint64_t hash_off = 0;
  if (major == 2) {  // TPM 1.2 (lcp2.h): u8 hash algorithm, SHA-1 only
    const uint8_t halg = r.u8(2, "HashAlg");
    if (halg != 0) r.fail(2, fmt::format("LCP_POLICY v2 HashAlg {} is not SHA-1 (0)", halg));
    p.hash_alg = static_cast<uint16_t>(HashAlg::kSha1);
    p.policy_type = r.u8(3, "PolicyType");
    p.sinit_min_version = r.u8(4, "SINITMinVersion");
  } else if (major == 3) {  // TPM 2.0 (lcp3.h)
    p.hash_alg = r.u16(2, "HashAlg");
    p.policy_type = r.u8(4, "PolicyType");
    p.sinit_min_version = r.u8(5, "SINITMinVersion");
  } else {
    r.fail(0, fmt::format("LCP_POLICY version {:#06x} is not 2.x or 3.x", p.version));
  }
  if (p.policy_type > 1)
    r.fail(major == 2 ? 3 : 4,
           fmt::format("PolicyType {} is not LIST (0) or ANY (1)", p.policy_type));
  for (size_t i = 0; i < 8; ++i)
    p.data_revocation_counters[i] = r.u16(6 + 2 * i, "DataRevocationCounters");
  p.policy_control = r.u32(22, "PolicyControl");
  p.max_sinit_min_version = r.u8(26, "MaxSinitMinVersion");
  if (major == 2) {
    hash_off = 34;
  } else {
    p.max_biosac_min_version = r.u8(27, "MaxBiosacMinVersion");
    p.lcp_hash_alg_mask = r.u16(28, "LcpHashAlgMask");
    p.lcp_sign_alg_mask = r.u32(30, "LcpSignAlgMask");
    p.aux_hash_alg_mask = r.u16(34, "AuxHashAlgMask");
    hash_off = 38;
  }
  const size_t ds = alg_size(r, 2, p.hash_alg);
  p.policy_hash = copy(r.bytes(hash_off, ds, "PolicyHash"));
  p.raw = copy(r.bytes(0, hash_off + ds, "LCP_POLICY"));
  p.trailing = bytes.size() - p.raw.size();
  return p;
}

HashAlg LcpPolicy::alg() const {
  return *hash_alg_from_id(hash_alg);
}

Digest LcpPolicy::structure_hash(HashAlg a) const {
  return hash(a, raw);
}

nlohmann::ordered_json LcpPolicy::to_json() const {
  nlohmann::ordered_json j;
  j["version"] = fmt::format("{:#06x}", version);
  j["hash_alg"] = std::string(hash_alg_name(alg()));
  j["policy_type"] = policy_type == 0 ? "list" : "any";
  j["sinit_min_version"] = sinit_min_version;
  auto& c = j["data_revocation_counters"] = nlohmann::ordered_json::array();
  for (auto v : data_revocation_counters) c.push_back(v);
  j["policy_control"] = fmt::format("{:#x}", policy_control);
  j["max_sinit_min_version"] = max_sinit_min_version;
  if (max_biosac_min_version) j["max_biosac_min_version"] = *max_biosac_min_version;
  if (lcp_hash_alg_mask) j["lcp_hash_alg_mask"] = fmt::format("{:#x}", *lcp_hash_alg_mask);
  if (lcp_sign_alg_mask) j["lcp_sign_alg_mask"] = fmt::format("{:#x}", *lcp_sign_alg_mask);
  if (aux_hash_alg_mask) j["aux_hash_alg_mask"] = fmt::format("{:#x}", *aux_hash_alg_mask);
  j["policy_hash"] = to_hex(policy_hash);
  j["size"] = raw.size();
  if (trailing) j["trailing_bytes"] = trailing;
  return j;
}

}  // namespace integral
