// integral txt's subcommands, one Command each (cli/txt_*.cpp), and what they share.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cli/commands.h"
#include "integral/crypto/digest.h"

namespace integral::cli {

// --alg: at least one algorithm, each one the linked OpenSSL computes.
std::vector<HashAlg> parse_txt_algs(const std::string& list);
// One digest per line, named by its algorithm when `named`.
std::string digests_text(const std::vector<Digest>& ds, bool named);
nlohmann::ordered_json digests_json(const std::vector<Digest>& ds);

// Each adds its subcommand to `txt` (txt_measure.cpp, txt_decode.cpp, txt_log.cpp).
Command add_txt_heap(CLI::App& txt);
Command add_txt_lcp(CLI::App& txt);
Command add_txt_mle_hash(CLI::App& txt);
Command add_txt_module_hash(CLI::App& txt);
Command add_txt_sinit_hash(CLI::App& txt);
Command add_txt_acm(CLI::App& txt);
Command add_txt_policy(CLI::App& txt);
Command add_txt_log(CLI::App& txt);
Command add_txt_profile(CLI::App& txt);

}  // namespace integral::cli
