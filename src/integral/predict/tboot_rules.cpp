#include "integral/predict/tboot_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "integral/formats/tboot_mle.h"
#include "integral/util/error.h"

namespace integral {

std::optional<TbootVersion> TbootVersion::parse(std::string_view text) {
  TbootVersion v;
  unsigned* parts[3] = {&v.major, &v.minor, &v.patch};
  size_t n = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (n < 3) {
    auto [q, ec] = std::from_chars(p, end, *parts[n]);
    if (ec != std::errc() || q == p) return std::nullopt;
    ++n;
    p = q;
    if (p == end) break;
    if (*p != '.') return std::nullopt;
    ++p;
  }
  if (p != end || n < 2) return std::nullopt;
  return v;
}

std::string TbootVersion::to_string() const {
  return fmt::format("{}.{}.{}", major, minor, patch);
}

std::optional<TpmFamily> parse_tpm_family(std::string_view text) {
  if (text == "1.2") return TpmFamily::k12;
  if (text == "2.0" || text == "2") return TpmFamily::k20;
  return std::nullopt;
}

std::string_view tpm_family_name(TpmFamily t) {
  return t == TpmFamily::k12 ? "1.2" : "2.0";
}

std::optional<PcrMapping> parse_pcr_mapping(std::string_view text) {
  if (text == "legacy") return PcrMapping::kLegacy;
  if (text == "da") return PcrMapping::kDa;
  return std::nullopt;
}

std::string_view pcr_mapping_name(PcrMapping m) {
  return m == PcrMapping::kLegacy ? "legacy" : "da";
}

std::optional<std::string> tboot_cmdline_option(std::string_view cmdline, std::string_view key) {
  std::optional<std::string> out;
  size_t i = 0;
  while (i < cmdline.size()) {
    while (i < cmdline.size() && cmdline[i] == ' ') ++i;
    size_t j = cmdline.find(' ', i);
    if (j == std::string_view::npos) j = cmdline.size();
    std::string_view tok = cmdline.substr(i, j - i);
    if (tok.size() > key.size() && tok.starts_with(key) && tok[key.size()] == '=')
      out = std::string(tok.substr(key.size() + 1));
    i = j;
  }
  return out;
}

uint32_t os_sinit_caps_for(uint32_t reference_caps, const TbootVersion& v) {
  const bool cbnt_bit = v >= TbootVersion{1, 10, 1};
  return (reference_caps & ~kCapsCbnt) | (cbnt_bit ? kCapsCbnt : 0u);
}

PcrMapping choose_pcr_mapping(TpmFamily tpm, const TbootVersion& v, uint32_t sinit_caps,
                              std::string_view cmdline) {
  if (tpm == TpmFamily::k20) return PcrMapping::kDa;
  const bool da = (sinit_caps & kCapsPcrMapDa) != 0;
  const bool no_legacy = (sinit_caps & kCapsPcrMapNoLegacy) != 0;
  // The CBnT rule came with 1.10.2 ("Default to D/A mapping when TPM1.2 and CBnT platform").
  const bool cbnt = (sinit_caps & kCapsCbnt) != 0 && v >= TbootVersion{1, 10, 2};
  const bool asked_da = tboot_cmdline_option(cmdline, "pcr_map").value_or("legacy") == "da";
  if (da && (asked_da || cbnt)) return PcrMapping::kDa;
  if (!no_legacy) return PcrMapping::kLegacy;
  if (da) return PcrMapping::kDa;
  throw_bad_input(
      fmt::format("SINIT capabilities {:#x} allow neither legacy nor DA PCR mapping: "
                  "tboot would not launch",
                  sinit_caps));
}

ExtendPolicy tboot_extend_policy(TpmFamily tpm, const TbootVersion& v, std::string_view extpol,
                                 const std::vector<HashAlg>& active) {
  auto is_active = [&](HashAlg a) {
    return std::find(active.begin(), active.end(), a) != active.end();
  };
  if (tpm == TpmFamily::k12) {
    if (!is_active(HashAlg::kSha1)) throw_bad_input("a TPM 1.2 launch needs the sha1 bank");
    return {"sha1", {HashAlg::kSha1}, HashAlg::kSha1};
  }
  std::string name(extpol.empty() ? "sha256" : extpol);
  if (name == "agile" && v >= TbootVersion{1, 11, 0}) name = "sha256";  // 1.11 maps it to fixed
  if (name == "embedded" || name == "agile") {
    ExtendPolicy p{name, {}, HashAlg::kSha256};
    for (HashAlg a : active)
      if (a == HashAlg::kSha1 || a == HashAlg::kSha256 || a == HashAlg::kSha384 ||
          a == HashAlg::kSha512)
        p.banks.push_back(a);
    if (p.banks.empty()) throw_bad_input("extpol=" + name + ": no bank tboot can extend");
    return p;
  }
  auto alg = parse_hash_alg(name == "sm3" ? "sm3_256" : name);
  if (!alg)
    throw_bad_input(
        fmt::format("extpol '{}' is not one of agile, embedded, sha1, sha256, "
                    "sha384, sha512, sm3",
                    name));
  if (!is_active(*alg))
    throw_bad_input(fmt::format("extpol={}: the TPM has no {} bank", name, hash_alg_name(*alg)));
  return {name, {*alg}, *alg};
}

Bytes default_tb_policy(const TbootVersion& v, TpmFamily tpm, PcrMapping mapping) {
  // tb_policy_t: version 2, policy_type 0 (continue), hash_alg, policy_control 1 (EXTEND_PCR17),
  // reserved, num_entries; entries: mod_num, pcr, hash_type 0 (any), nv_index, num_hashes 0.
  auto policy = [](uint8_t alg, uint8_t any_pcr, bool nv) {
    Bytes b = {2, 0, alg, 1, 0, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(nv ? 3 : 2)};
    const Bytes mod0 = {0x00, 0xff, 0, 0, 0, 0, 0, 0};       // module 0: pcr none
    const Bytes any = {0x81, any_pcr, 0, 0, 0, 0, 0, 0};     // any module: PCR 19 / 17
    const Bytes nvraw = {0x83, 22, 0, 0x10, 0, 0, 0x40, 0};  // NV_RAW 0x40000010 -> PCR 22
    b.insert(b.end(), mod0.begin(), mod0.end());
    b.insert(b.end(), any.begin(), any.end());
    if (nv) b.insert(b.end(), nvraw.begin(), nvraw.end());
    return b;
  };
  const uint8_t pcr = mapping == PcrMapping::kDa ? 17 : 19;
  if (v < TbootVersion{1, 8, 0}) {
    if (tpm == TpmFamily::k20) throw_bad_input("tboot before 1.8 has no TPM 2.0 support");
    return policy(0x00, 19, false);  // 1.7.x: SHA-1 (old id 0), no NV entry
  }
  if (v < TbootVersion{1, 9, 12}) return policy(0x04, pcr, true);
  if (v < TbootVersion{1, 10, 0}) return policy(0x0B, pcr, true);  // 1.9.12: SHA-256 id for all
  // 1.10.0 added _def_policy_12 for TPM 1.2 (used even with DA); TPM 2.0 is always DA.
  if (tpm == TpmFamily::k12) return policy(0x04, 19, true);
  return policy(0x0B, 17, true);
}

std::optional<unsigned> module_policy_pcr(const TbPolicy& policy, unsigned index) {
  for (const auto& e : policy.entries) {
    if (e.mod_num == kTbPolModNumNvIndex || e.mod_num == kTbPolModNumNvRaw) continue;
    if (e.mod_num != kTbPolModNumAny && e.mod_num != index) continue;
    if (e.pcr == kTbPolPcrNone) return std::nullopt;
    return e.pcr;
  }
  return std::nullopt;
}

std::string measured_module_cmdline(const TbootVersion& v, const std::string& loader_string) {
  if (v < TbootVersion{1, 9, 4}) return TbootMle::skip_filename(loader_string);
  return loader_string;
}

}  // namespace integral
