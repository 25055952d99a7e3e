#include "integral/tpm/pcr_yaml.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>

#include "integral/util/error.h"

namespace integral {

std::string write_pcr_yaml(const PcrSet& values, const PcrSelection& selection) {
  std::string out;
  auto write_bank = [&](HashAlg alg, auto selected) {
    out += fmt::format("  {}:\n", hash_alg_name(alg));
    for (unsigned p = 0; p < kPcrCount; ++p)
      if (selected(p)) out += fmt::format("    {:<2}: 0x{}\n", p, values.get(alg, p).hex(true));
  };
  if (selection.banks().empty()) {
    for (HashAlg alg : values.banks()) write_bank(alg, [](unsigned) { return true; });
  } else {
    for (const auto& b : selection.banks())
      write_bank(b.alg, [&](unsigned p) { return b.pcrs.test(p); });
  }
  return out;
}

PcrValues parse_pcr_yaml(std::string_view text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw_bad_input(fmt::format("line {}: not YAML: {}", e.mark.line + 1, e.msg), source);
  }
  if (!root.IsMap()) throw_bad_input("expected a map of banks (tpm2_pcrread output)", source);
  PcrValues out;
  for (const auto& bank : root) {
    const auto line = bank.first.Mark().line + 1;
    std::string name = bank.first.as<std::string>("");
    auto alg = parse_hash_alg(name);
    if (!alg) throw_bad_input(fmt::format("line {}: unknown bank '{}'", line, name), source);
    if (!bank.second.IsMap())
      throw_bad_input(fmt::format("line {}: bank '{}' is not a map of PCRs", line, name), source);
    std::map<unsigned, Digest> pcrs;
    for (const auto& entry : bank.second) {
      const auto eline = entry.first.Mark().line + 1;
      std::string key = entry.first.as<std::string>("");
      unsigned pcr = 0;
      auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), pcr);
      if (key.empty() || ec != std::errc() || p != key.data() + key.size() || pcr >= kPcrCount)
        throw_bad_input(fmt::format("line {}: '{}' is not a PCR index 0-23", eline, key), source);
      std::string value = entry.second.IsScalar() ? entry.second.as<std::string>() : "";
      auto d = Digest::from_hex(*alg, value);
      if (!d)
        throw_bad_input(fmt::format("line {}: PCR {} is not a {}-byte {} value", eline, pcr,
                                    digest_size(*alg), name),
                        source);
      pcrs.emplace(pcr, *d);
    }
    out.banks.emplace_back(*alg, std::move(pcrs));
  }
  return out;
}

}  // namespace integral
