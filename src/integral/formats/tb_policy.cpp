#include "integral/formats/tb_policy.h"

#include <fmt/format.h>

#include "integral/crypto/multi_hasher.h"
#include "integral/util/byte_reader.h"
#include "integral/util/bytes.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral {

std::optional<HashAlg> tb_hash_alg(uint8_t hash_alg) {
  switch (hash_alg) {
    case 0x00:  // TB_HALG_SHA1_LG, tboot <= 1.8
    case 0x04:
      return HashAlg::kSha1;
    case 0x0B:
      return HashAlg::kSha256;
    case 0x0C:
      return HashAlg::kSha384;
    case 0x0D:
      return HashAlg::kSha512;
    case 0x12:
      return HashAlg::kSm3_256;
    default:
      return std::nullopt;
  }
}

HashAlg TbPolicy::alg() const {
  return *tb_hash_alg(hash_alg);
}

TbPolicy TbPolicy::load(const std::filesystem::path& path) {
  const std::string data = read_text_file(path, 1u << 20);
  return parse(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()),
               path.string());
}

TbPolicy TbPolicy::parse(std::span<const uint8_t> data, const std::string& file) {
  ByteReader r(data, file);
  TbPolicy p;
  p.version = r.u8(0, "policy version");
  if (p.version != 2) r.fail(0, fmt::format("tb_policy version {} is not 2", p.version));
  p.policy_type = r.u8(1, "policy_type");
  p.hash_alg = r.u8(2, "hash_alg");
  const auto alg = tb_hash_alg(p.hash_alg);
  if (!alg) r.fail(2, fmt::format("unknown tb_policy hash_alg {:#04x}", p.hash_alg));
  p.policy_control = r.u32(3, "policy_control");
  const uint8_t n = r.u8(11, "num_entries");
  uint64_t at = 12;
  const size_t hs = digest_size(*alg);
  for (uint8_t i = 0; i < n; ++i) {
    TbPolicyEntry e;
    e.mod_num = r.u8(at, "mod_num");
    e.pcr = r.u8(at + 1, "pcr");
    e.hash_type = r.u8(at + 2, "hash_type");
    e.nv_index = r.u32(at + 3, "nv_index");
    const uint8_t nh = r.u8(at + 7, "num_hashes");
    at += 8;
    r.need(at, static_cast<uint64_t>(nh) * hs, fmt::format("hashes of policy entry {}", i));
    for (uint8_t k = 0; k < nh; ++k) {
      e.hashes.emplace_back(*alg, r.bytes(at, hs, "hash"));
      at += hs;
    }
    p.entries.push_back(std::move(e));
  }
  // tboot measures the policy's own size (calc_policy_size), not whatever follows it.
  p.raw.assign(data.begin(), data.begin() + static_cast<ptrdiff_t>(at));
  return p;
}

nlohmann::ordered_json TbPolicy::to_json() const {
  auto mod = [](uint8_t m) -> nlohmann::ordered_json {
    if (m == kTbPolModNumAny) return "any";
    if (m == kTbPolModNumNvIndex) return "nv";
    if (m == kTbPolModNumNvRaw) return "nv-raw";
    return m;
  };
  nlohmann::ordered_json j;
  j["version"] = version;
  j["policy_type"] = policy_type;
  j["hash_alg"] = std::string(hash_alg_name(alg()));
  j["policy_control"] = fmt::format("{:#010x}", policy_control);
  j["extend_pcr17"] = (policy_control & kTbPolCtlExtendPcr17) != 0;
  auto& es = j["entries"] = nlohmann::ordered_json::array();
  for (const auto& e : entries) {
    nlohmann::ordered_json x;
    x["mod_num"] = mod(e.mod_num);
    x["pcr"] =
        e.pcr == kTbPolPcrNone ? nlohmann::ordered_json("none") : nlohmann::ordered_json(e.pcr);
    x["hash_type"] = e.hash_type == 0 ? "any" : e.hash_type == 1 ? "image" : "unknown";
    if (e.mod_num == kTbPolModNumNvIndex || e.mod_num == kTbPolModNumNvRaw) {
      x["nv_index"] = fmt::format("{:#010x}", e.nv_index);
    }
    auto& hs = x["hashes"] = nlohmann::ordered_json::array();
    for (const auto& h : e.hashes) hs.push_back(h.hex());
    es.push_back(x);
  }
  j["size"] = raw.size();
  return j;
}

Digest tb_policy_event_digest(std::span<const uint8_t> policy, uint32_t policy_control, HashAlg cur,
                              HashAlg bank) {
  std::string buf;
  append_le32(buf, policy_control);
  if (policy_control & kTbPolCtlExtendPcr17) {
    const Digest inner = hash(cur, policy);
    buf.append(reinterpret_cast<const char*>(inner.bytes().data()), inner.size());
  } else {
    buf.append(digest_size(cur), '\0');
  }
  return hash(bank, buf);
}

Digest tb_module_digest(HashAlg alg, std::string_view cmdline, std::span<const uint8_t> image) {
  const Digest c = hash(alg, cmdline);
  const Digest i = hash(alg, image);
  Hasher h(alg);
  h.update(c.bytes());
  h.update(i.bytes());
  return h.finish();
}

std::vector<Digest> tb_module_digests(std::span<const HashAlg> algs, std::string_view cmdline,
                                      const std::filesystem::path& image) {
  const auto images = hash_file(image, algs);
  std::vector<Digest> out;
  for (size_t i = 0; i < algs.size(); ++i) {
    const Digest c = hash(algs[i], cmdline);
    Hasher h(algs[i]);
    h.update(c.bytes());
    h.update(images[i].bytes());
    out.push_back(h.finish());
  }
  return out;
}

}  // namespace integral
