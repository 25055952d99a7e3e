#include "integral/reference/pcrsig.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "integral/crypto/base64.h"
#include "integral/predict/stage.h"
#include "integral/tpm/policy_pcr.h"
#include "integral/util/error.h"

namespace integral {

namespace {

// The banks to sign for, in TPM algorithm order (systemd's): the given ones, or every
// predicted SHA bank.
std::vector<HashAlg> signed_banks(const Prediction& p, std::vector<HashAlg> banks) {
  if (banks.empty())
    for (HashAlg a : p.banks)
      if (a == HashAlg::kSha1 || a == HashAlg::kSha256 || a == HashAlg::kSha384 ||
          a == HashAlg::kSha512)
        banks.push_back(a);
  std::sort(banks.begin(), banks.end());
  banks.erase(std::unique(banks.begin(), banks.end()), banks.end());
  for (HashAlg a : banks)
    if (std::find(p.banks.begin(), p.banks.end(), a) == p.banks.end())
      throw_usage(
          fmt::format("bank {} is not in the prediction of {}", hash_alg_name(a), p.source));
  if (banks.empty()) throw_usage("the prediction of " + p.source + " has no bank to sign for");
  return banks;
}

// The PCR values before any pcrphase word: the prediction without its phase extends.
PcrSet values_before_phases(const Prediction& p) {
  Prediction base = p;
  std::erase_if(base.chain.events,
                [](const Event& e) { return e.provenance.rule == kPcrphaseRule; });
  return base.values();
}

// systemd-measure treats a path as its non-empty words ("a::b:" is "a:b").
std::vector<std::string> phase_words(const std::string& path) {
  std::vector<std::string> words;
  size_t at = 0;
  while (at <= path.size()) {
    size_t end = path.find(':', at);
    if (end == std::string::npos) end = path.size();
    if (end > at) words.push_back(path.substr(at, end - at));
    at = end + 1;
  }
  return words;
}

}  // namespace

std::vector<std::string> default_phase_paths() {
  return {"enter-initrd", "enter-initrd:leave-initrd", "enter-initrd:leave-initrd:sysinit",
          "enter-initrd:leave-initrd:sysinit:ready"};
}

std::string pcrsig_json(const Prediction& p, const PcrsigOptions& o, const SigningKey& key) {
  const std::vector<HashAlg> banks = signed_banks(p, o.banks);
  std::vector<std::string> phases = o.phases.empty() ? default_phase_paths() : o.phases;
  std::sort(phases.begin(), phases.end());
  phases.erase(std::unique(phases.begin(), phases.end()), phases.end());
  std::vector<unsigned> pcrs = o.pcrs;
  std::sort(pcrs.begin(), pcrs.end());
  pcrs.erase(std::unique(pcrs.begin(), pcrs.end()), pcrs.end());
  for (unsigned pcr : pcrs)
    if (pcr >= kPcrCount) throw_usage(fmt::format("PCR {} out of range (0-23)", pcr));
  const PcrSet base = values_before_phases(p);
  const std::string pkfp = key.public_key().fingerprint().hex();

  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (HashAlg bank : banks) {
    PcrSelection sel;
    for (unsigned pcr : pcrs) sel.add(bank, pcr);
    auto& list = out[std::string(hash_alg_name(bank))] = nlohmann::ordered_json::array();
    for (const std::string& path : phases) {
      PcrSet v = base;
      for (const std::string& word : phase_words(path)) v.extend(11, hash(bank, word));
      // systemd's sessions are SHA-256 whatever the bank; the signature hashes with the bank's.
      const Digest pol = policy_pcr_digest(sel, v, HashAlg::kSha256);
      list.push_back({{"pcrs", pcrs},
                      {"pkfp", pkfp},
                      {"pol", pol.hex()},
                      {"sig", base64_encode(key.sign(bank, pol.bytes()))}});
    }
  }
  return out.dump() + "\n";
}

}  // namespace integral
