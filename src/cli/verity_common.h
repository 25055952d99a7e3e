// dm-verity options and output shared by `integral verity` and `integral mkfs --verity`.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "integral/image/verity.h"

namespace integral::cli {

struct VerityCliOptions {
  std::string salt, uuid, alg = "sha256";
  uint32_t data_block_size = 4096, hash_block_size = 4096;
  bool no_superblock = false;
};

void add_verity_options(CLI::App& app, VerityCliOptions& o);
image::VerityParams verity_params(const VerityCliOptions& o);
image::VerityFileResult run_verity(const std::string& image, const std::string& hash_file,
                                   std::optional<uint64_t> hash_offset, const VerityCliOptions& o);
nlohmann::ordered_json verity_json(const image::VerityFileResult& r);
std::string verity_text(const image::VerityFileResult& r);

}  // namespace integral::cli
