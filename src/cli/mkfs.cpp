// integral mkfs (--tree DIR | --tar FILE) [--manifest M] [--type T] [--size N] -o IMG :
// a reproducible ext2/3/4 image of a tree, without root.
#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/verity_common.h"
#include "integral/image/image_build.h"
#include "integral/reference/ima_policy.h"
#include "integral/util/atomic_file.h"
#include "integral/util/error.h"
#include "integral/util/hex.h"
#include "integral/util/json_io.h"
#include "integral/util/number.h"

namespace integral::cli {

namespace {

std::array<uint8_t, 16> uuid_option(const std::string& s, const char* what) {
  auto u = parse_uuid(s);
  if (!u) throw_usage(fmt::format("bad {} '{}'", what, s));
  return *u;
}

Command add_mkfs(CLI::App& root) {
  auto* app = root.add_subcommand(
      "mkfs", "Build a reproducible ext2/3/4 image from a tree or tar, without root");
  struct Opts {
    std::string tree, tar, manifest, type = "ext4", size, output, uuid, hash_seed, label;
    std::optional<int64_t> timestamp;
    bool json = false;
    std::string verity, measure, measure_out, file_contexts, vhd, ima_policy, ima_mount = "/";
    VerityCliOptions v;
  };
  auto o = std::make_shared<Opts>();
  auto* tree = app->add_option("--tree", o->tree, "Directory to copy into the image");
  auto* tar =
      app->add_option("--tar", o->tar, "Tar archive to copy into the image (pax xattrs honoured)");
  tree->excludes(tar);
  app->add_option("--file-contexts", o->file_contexts,
                  "Label every entry from this SELinux file_contexts (as setfiles would)");
  app->add_option("--manifest", o->manifest, "Metadata manifest (owners, modes, devices, xattrs)");
  app->add_option("--type", o->type, "ext4, ext3 or ext2")->capture_default_str();
  app->add_option("--size", o->size, "Image size (bytes, or with K/M/G); default: computed + 5 %");
  app->add_option("--timestamp", o->timestamp,
                  "Every timestamp in the image (default: $SOURCE_DATE_EPOCH, else 1)");
  app->add_option("--uuid", o->uuid, "File system UUID (default: derived from the content)");
  app->add_option("--hash-seed", o->hash_seed,
                  "Directory hash seed (default: derived from the content)");
  app->add_option("--label", o->label, "Volume label (up to 16 bytes)");
  app->add_option("-o,--output", o->output, "Image file to write")->required();
  app->add_option("--vhd", o->vhd, "Write a VHD (fixed or dynamic) instead of a raw image")
      ->check(CLI::IsMember({"fixed", "dynamic"}));
  app->add_option("--verity", o->verity, "Also write a dm-verity hash tree to this file");
  add_verity_options(*app, o->v);
  app->add_option("--measure", o->measure, "Digest the image in these banks (e.g. sha1,sha256)");
  app->add_option("--measure-output", o->measure_out,
                  "Write the digests as JSON here (default: IMG.digests.json)");
  app->add_option("--ima-policy", o->ima_policy,
                  "Write an IMA runtime policy (keylime format) of the image's files here");
  app->add_option("--ima-mount-point", o->ima_mount,
                  "Where the image is mounted when IMA measures it: the policy's path prefix")
      ->capture_default_str();
  app->add_flag("--json", o->json, "Machine-readable summary");
  return {
      app, [o] {
        if (o->tree.empty() == o->tar.empty()) throw_usage("give exactly one of --tree or --tar");
        image::ImageSpec spec;
        spec.tree = o->tree;
        spec.tar = o->tar;
        spec.manifest = o->manifest;
        spec.file_contexts = o->file_contexts;
        if (o->type == "ext4")
          spec.ext.kind = image::ExtKind::kExt4;
        else if (o->type == "ext3")
          spec.ext.kind = image::ExtKind::kExt3;
        else if (o->type == "ext2")
          spec.ext.kind = image::ExtKind::kExt2;
        else
          throw_usage(fmt::format("unknown --type '{}' (ext4, ext3, ext2)", o->type));
        if (!o->size.empty()) {
          auto size = parse_size(o->size);
          if (!size) throw_usage(fmt::format("bad size '{}' (bytes, or with K, M, G)", o->size));
          spec.ext.size_bytes = *size;
        }
        spec.ext.timestamp = o->timestamp ? *o->timestamp : image::default_timestamp();
        if (!o->uuid.empty()) spec.ext.uuid = uuid_option(o->uuid, "--uuid");
        if (!o->hash_seed.empty()) spec.ext.hash_seed = uuid_option(o->hash_seed, "--hash-seed");
        if (o->label.size() > 16) throw_usage("--label is at most 16 bytes");
        spec.ext.label = o->label;
        if (!o->vhd.empty())
          spec.vhd = o->vhd == "fixed" ? image::VhdKind::kFixed : image::VhdKind::kDynamic;
        spec.banks = parse_hash_alg_list(o->measure);
        spec.ext.file_digests = !o->ima_policy.empty();
        if (!o->verity.empty()) spec.verity = verity_params(o->v);

        auto start = std::chrono::steady_clock::now();
        image::Tree t = image::load_image_tree(spec, o->output);
        // Every output is written to a temporary beside it and renamed only when all are
        // complete (OutputSet): a failure in any of them leaves none, and the previous files
        // at those paths stay as they were. The temporaries exist before the build starts, so
        // an output that cannot be created fails the command at once.
        OutputSet outputs;
        AtomicFile* digests_out =
            spec.banks.empty() ? nullptr
                               : &outputs.add(o->measure_out.empty() ? o->output + ".digests.json"
                                                                     : o->measure_out);
        AtomicFile* policy_out = o->ima_policy.empty() ? nullptr : &outputs.add(o->ima_policy);
        auto b = image::build_image(spec, t, o->output, o->verity, outputs);
        if (policy_out) policy_out->write(keylime_runtime_policy(b.ext.file_sha256, o->ima_mount));
        nlohmann::ordered_json digests;
        if (digests_out) {
          digests["file"] = o->output;
          digests["size"] = b.ext.size_bytes;
          for (const auto& d : b.digests) digests[std::string(hash_alg_name(d.alg()))] = d.hex();
          digests_out->write(dump_json(digests, 2) + "\n");
        }
        // The image among them is fsync'd before its rename like every other output: renamed
        // first, a crash could leave IMG naming blocks that never reached the disk.
        outputs.commit();
        const auto& r = b.ext;
        const auto& vr = b.verity;
        const auto& banks = spec.banks;
        double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (o->json) {
          nlohmann::ordered_json j;
          j["image"] = o->output;
          j["type"] = o->type;
          j["size"] = r.size_bytes;
          j["block_size"] = r.block_size;
          j["blocks"] = r.blocks;
          j["free_blocks"] = r.free_blocks;
          j["inodes"] = r.inodes;
          j["used_inodes"] = r.used_inodes;
          j["uuid"] = r.uuid;
          j["entries"] = t.entries().size();
          if (vr) j["verity"] = verity_json(*vr);
          if (!banks.empty()) j["digests"] = digests;
          j["seconds"] = secs;
          emit("", dump_json(j, 2) + "\n");
        } else {
          emit("", fmt::format("{}: {} {} bytes, {} entries, {} inodes used, uuid {} ({:.2f} s)\n",
                               o->output, o->type, r.size_bytes, t.entries().size(), r.used_inodes,
                               r.uuid, secs) +
                       (vr ? verity_text(*vr) : std::string()));
        }
        return 0;
      }};
}

const CommandRegistrar registered(60, add_mkfs);

}  // namespace

}  // namespace integral::cli
