// integral txt ... : Intel TXT / tboot artifacts: MLE and module hashes, SINIT ACM decoding and
// its HASH_START measurement, tboot policies, TXT logs and platform profiles.
#include "cli/txt.h"

#include <fmt/format.h>

#include "integral/util/error.h"

namespace integral::cli {

std::vector<HashAlg> parse_txt_algs(const std::string& list) {
  std::vector<HashAlg> algs = parse_hash_alg_list(list);
  if (algs.empty()) throw_usage("--alg names no hash algorithm");
  for (HashAlg alg : algs)
    if (!hash_alg_available(alg))
      throw Error(ExitCode::kEnvironment, fmt::format("{} is not available", hash_alg_name(alg)));
  return algs;
}

std::string digests_text(const std::vector<Digest>& ds, bool named) {
  std::string out;
  for (const auto& d : ds) {
    out += named ? fmt::format("{}  {}\n", hash_alg_name(d.alg()), d.hex()) : d.hex() + "\n";
  }
  return out;
}

nlohmann::ordered_json digests_json(const std::vector<Digest>& ds) {
  nlohmann::ordered_json j;
  for (const auto& d : ds) j[std::string(hash_alg_name(d.alg()))] = d.hex();
  return j;
}

namespace {

Command add_txt(CLI::App& root) {
  auto* app = root.add_subcommand("txt", "Intel TXT / tboot: MLE, module and SINIT measurements");
  app->require_subcommand(1);
  // In this order in --help.
  const std::vector<Command> subs = {
      add_txt_heap(*app),        add_txt_lcp(*app),        add_txt_mle_hash(*app),
      add_txt_module_hash(*app), add_txt_sinit_hash(*app), add_txt_acm(*app),
      add_txt_policy(*app),      add_txt_log(*app),        add_txt_profile(*app)};
  return {app, [subs] {
            for (const auto& s : subs)
              if (s.app->parsed()) return s.run();
            return static_cast<int>(ExitCode::kUsage);  // require_subcommand(1) rules this out
          }};
}

const CommandRegistrar registered(60, add_txt);

}  // namespace

}  // namespace integral::cli
