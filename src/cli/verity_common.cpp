#include "cli/verity_common.h"

#include <fmt/format.h>

#include "integral/util/error.h"
#include "integral/util/hex.h"

namespace integral::cli {

void add_verity_options(CLI::App& app, VerityCliOptions& o) {
  app.add_option("--salt", o.salt, "Verity salt, hex (default: derived from the image)");
  app.add_option("--verity-uuid", o.uuid,
                 "Verity superblock UUID (default: derived from the salt)");
  app.add_option("--hash", o.alg, "Verity hash algorithm")->capture_default_str();
  app.add_option("--data-block-size", o.data_block_size, "Verity data block size")
      ->capture_default_str();
  app.add_option("--hash-block-size", o.hash_block_size, "Verity hash block size")
      ->capture_default_str();
  app.add_flag("--no-superblock", o.no_superblock, "Omit the verity superblock");
}

image::VerityParams verity_params(const VerityCliOptions& o) {
  image::VerityParams p;
  auto alg = parse_hash_alg(o.alg);
  if (!alg) throw_usage(fmt::format("unknown verity hash '{}'", o.alg));
  p.alg = *alg;
  p.data_block_size = o.data_block_size;
  p.hash_block_size = o.hash_block_size;
  p.superblock = !o.no_superblock;
  if (!o.salt.empty() && o.salt != "-") {
    auto s = from_hex(o.salt);
    if (!s) throw_usage(fmt::format("bad --salt '{}'", o.salt));
    p.salt = *s;
  }
  if (!o.uuid.empty()) {
    std::string h;
    for (char c : o.uuid)
      if (c != '-') h += c;
    auto u = from_hex(h);
    if (!u || u->size() != 16) throw_usage(fmt::format("bad --verity-uuid '{}'", o.uuid));
    std::copy(u->begin(), u->end(), p.uuid.begin());
  }
  return p;
}

image::VerityFileResult run_verity(const std::string& image, const std::string& hash_file,
                                   std::optional<uint64_t> hash_offset, const VerityCliOptions& o) {
  return image::verity_file(image, hash_file, hash_offset, verity_params(o));
}

namespace {
std::string uuid_text(const std::array<uint8_t, 16>& u) {
  std::string h = to_hex(u);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}
}  // namespace

nlohmann::ordered_json verity_json(const image::VerityFileResult& r) {
  nlohmann::ordered_json j;
  j["image"] = r.image;
  if (!r.hash_file.empty()) j["hash_file"] = r.hash_file;
  j["hash_offset"] = r.hash_offset;
  j["root_hash"] = r.result.root.hex();
  j["salt"] = to_hex(r.params.salt);
  j["uuid"] = uuid_text(r.params.uuid);
  j["hash"] = std::string(hash_alg_name(r.params.alg));
  j["data_block_size"] = r.params.data_block_size;
  j["hash_block_size"] = r.params.hash_block_size;
  j["data_blocks"] = r.result.data_blocks;
  j["hash_bytes"] = r.result.hash_bytes;
  return j;
}

std::string verity_text(const image::VerityFileResult& r) {
  return fmt::format("root hash: {}\nsalt: {}\nuuid: {}\ndata blocks: {}\n", r.result.root.hex(),
                     to_hex(r.params.salt), uuid_text(r.params.uuid), r.result.data_blocks);
}

}  // namespace integral::cli
