// tboot's rules that decide what a launch measures, per tboot version: the PCR mapping, the
// extend policy (which banks get tboot's events), the default verified-launch policy, and how
// module command lines are taken. Sources: tboot txt.c init_txt_heap, cmdline.c, policy.c,
// tpm_20.c (research txt.md §1.1, §1.5, §2.1, §2.4).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "integral/crypto/hash_alg.h"
#include "integral/formats/tb_policy.h"
#include "integral/util/hex.h"

namespace integral {

struct TbootVersion {
  unsigned major = 0, minor = 0, patch = 0;
  // "1.10.2", "1.9.12", "1.7"; nullopt otherwise.
  static std::optional<TbootVersion> parse(std::string_view text);
  auto operator<=>(const TbootVersion&) const = default;
  std::string to_string() const;
};

enum class TpmFamily { k12, k20 };
enum class PcrMapping { kLegacy, kDa };

std::optional<TpmFamily> parse_tpm_family(std::string_view text);  // "1.2", "2.0"
std::string_view tpm_family_name(TpmFamily t);
std::optional<PcrMapping> parse_pcr_mapping(std::string_view text);  // "legacy", "da"
std::string_view pcr_mapping_name(PcrMapping m);

// The value of "key=value" in tboot's command line; the last occurrence wins (tboot's parser
// overwrites earlier values). nullopt when the key is absent.
std::optional<std::string> tboot_cmdline_option(std::string_view cmdline, std::string_view key);

// SINIT capability bits (txt_caps_t) that the mapping choice reads.
inline constexpr uint32_t kCapsPcrMapNoLegacy = 1u << 4;
inline constexpr uint32_t kCapsPcrMapDa = 1u << 5;
inline constexpr uint32_t kCapsCbnt = 1u << 10;

// OsSinitData.Capabilities as tboot `v` writes it on the platform where tboot `reference`
// wrote `reference_caps` (research txt.md §1.2). tboot starts from its MLE header caps (0x227,
// 0x627 from 1.10.1 with cbnt_supported), clears the wake-up, PCR-mapping and log-format bits
// and ecx_pgtbl, then sets them from the platform's SINIT, TPM and log: so across versions
// only bit 10 changes. Observed: 0x002 (1.9.12) and 0x402 (1.10.3) on TPM 1.2 legacy, 0x201
// (1.9.x) and 0x601/0x602 (1.10.2) on TPM 2.0.
uint32_t os_sinit_caps_for(uint32_t reference_caps, const TbootVersion& v);

// tboot's choice of PCR mapping. TPM 2.0: always DA. TPM 1.2: DA if SINIT can do DA and either
// the command line asks (pcr_map=da) or, from 1.10.2 on, the platform is CBnT; else legacy if
// SINIT still allows it; else DA if SINIT has it. Throws Error(kBadInput) when SINIT supports
// neither (tboot refuses to launch).
PcrMapping choose_pcr_mapping(TpmFamily tpm, const TbootVersion& v, uint32_t sinit_caps,
                              std::string_view cmdline);

// How tboot extends its own events on TPM 2.0 (cmdline "extpol=", default sha256).
struct ExtendPolicy {
  std::string name;            // as given / defaulted
  std::vector<HashAlg> banks;  // the banks tboot's events reach
  HashAlg cur_alg;             // the algorithm of the inner policy hash
};
// `active`: the TPM's banks. TPM 1.2: SHA-1 only. Fixed algorithms must be active; embedded
// (and agile before 1.11) reach every active bank tboot implements (SHA-1/256/384/512); from
// 1.11 "agile" is taken as SHA-256. Throws Error(kBadInput) for an unknown or impossible policy.
ExtendPolicy tboot_extend_policy(TpmFamily tpm, const TbootVersion& v, std::string_view extpol,
                                 const std::vector<HashAlg>& active);

// The policy tboot uses when none is provisioned (tboot policy.c _def_policy*, per version).
Bytes default_tb_policy(const TbootVersion& v, TpmFamily tpm, PcrMapping mapping);

// The PCR module `index` is extended into under `policy` (the first entry naming the module or
// "any"); nullopt when the entry says "none" or no entry applies.
std::optional<unsigned> module_policy_pcr(const TbPolicy& policy, unsigned index);

// The module string tboot hashes: verbatim from 1.9.4 on; before, the first word (the file name)
// and the blanks around it were dropped.
std::string measured_module_cmdline(const TbootVersion& v, const std::string& loader_string);

}  // namespace integral
