// integral hash FILE... : digests of files in several banks at once (one read per file).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "integral/crypto/multi_hasher.h"
#include "integral/util/error.h"
#include "integral/util/json_io.h"
#include "integral/util/text.h"

namespace integral::cli {

namespace {

Command add_hash(CLI::App& root) {
  auto* app = root.add_subcommand("hash", "Hash files into one or more banks, reading each once");
  struct Opts {
    std::vector<std::string> files;
    std::string banks = "sha256";
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("files", o->files, "Files to hash")->required();
  app->add_option("-b,--bank", o->banks, "Comma-separated banks (sha1,sha256,sha384,sha512)")
      ->capture_default_str();
  app->add_flag("--json", o->json, "Machine-readable output");
  return {app, [o] {
            const std::vector<HashAlg> algs = parse_hash_alg_list(o->banks);
            if (algs.empty()) throw_usage("--bank names no hash algorithm");
            nlohmann::ordered_json j = nlohmann::ordered_json::array();
            std::string text;
            for (const auto& f : o->files) {
              auto digests = hash_file(f, algs);
              nlohmann::ordered_json entry;
              entry["file"] = f;
              for (const auto& d : digests) {
                entry[std::string(hash_alg_name(d.alg()))] = d.hex();
                text += fmt::format("{}  {}  {}\n", hash_alg_name(d.alg()), d.hex(),
                                    escape_terminal(f));
              }
              j.push_back(entry);
            }
            emit("", o->json ? dump_json(j, 2) + "\n" : text);
            return 0;
          }};
}

const CommandRegistrar registered(90, add_hash);

}  // namespace

}  // namespace integral::cli
