// integral mkfs (--tree DIR | --tar FILE) [--manifest M] [--type T] [--size N] -o IMG :
// a reproducible ext2/3/4 image of a tree, without root.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/verity_common.h"
#include "integral/image/ext_writer.h"
#include "integral/image/manifest.h"
#include "integral/image/measure_sink.h"
#include "integral/image/selinux_labels.h"
#include "integral/image/tree.h"
#include "integral/image/vhd.h"
#include "integral/util/atomic_file.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/hex.h"
#include "integral/util/json_io.h"

namespace integral::cli {

namespace {

uint64_t parse_size(const std::string& s) {
  size_t pos = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(s, &pos, 10);
  } catch (...) {
    throw_usage(fmt::format("bad size '{}'", s));
  }
  std::string suffix = s.substr(pos);
  uint64_t mul = 1;
  if (suffix == "K" || suffix == "k")
    mul = 1ull << 10;
  else if (suffix == "M")
    mul = 1ull << 20;
  else if (suffix == "G")
    mul = 1ull << 30;
  else if (!suffix.empty())
    throw_usage(fmt::format("bad size suffix in '{}' (K, M, G)", s));
  return v * mul;
}

std::array<uint8_t, 16> parse_uuid(const std::string& s, const char* what) {
  std::string hex;
  for (char c : s)
    if (c != '-') hex += c;
  auto b = from_hex(hex);
  if (!b || b->size() != 16) throw_usage(fmt::format("bad {} '{}'", what, s));
  std::array<uint8_t, 16> out{};
  std::copy(b->begin(), b->end(), out.begin());
  return out;
}

Command add_mkfs(CLI::App& root) {
  auto* app = root.add_subcommand(
      "mkfs", "Build a reproducible ext2/3/4 image from a tree or tar, without root");
  struct Opts {
    std::string tree, tar, manifest, type = "ext4", size, output, uuid, hash_seed, label;
    std::optional<int64_t> timestamp;
    bool json = false;
    std::string verity, measure, measure_out, file_contexts, vhd;
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
  app->add_flag("--json", o->json, "Machine-readable summary");
  return {
      app, [o] {
        if (o->tree.empty() == o->tar.empty()) throw_usage("give exactly one of --tree or --tar");
        image::ExtOptions opts;
        if (o->type == "ext4")
          opts.kind = image::ExtKind::kExt4;
        else if (o->type == "ext3")
          opts.kind = image::ExtKind::kExt3;
        else if (o->type == "ext2")
          opts.kind = image::ExtKind::kExt2;
        else
          throw_usage(fmt::format("unknown --type '{}' (ext4, ext3, ext2)", o->type));
        if (!o->size.empty()) opts.size_bytes = parse_size(o->size);
        if (o->timestamp) {
          opts.timestamp = *o->timestamp;
        } else if (const char* sde = std::getenv("SOURCE_DATE_EPOCH"); sde && *sde) {
          char* end = nullptr;
          long long v = std::strtoll(sde, &end, 10);
          if (*end) throw_usage(fmt::format("SOURCE_DATE_EPOCH '{}' is not a number", sde));
          opts.timestamp = v;
        }
        if (!o->uuid.empty()) opts.uuid = parse_uuid(o->uuid, "--uuid");
        if (!o->hash_seed.empty()) opts.hash_seed = parse_uuid(o->hash_seed, "--hash-seed");
        if (o->label.size() > 16) throw_usage("--label is at most 16 bytes");
        opts.label = o->label;

        auto start = std::chrono::steady_clock::now();
        image::Tree t = o->tree.empty() ? image::load_tar(o->tar) : image::load_directory(o->tree);
        std::set<std::string> explicit_labels;
        if (!o->manifest.empty()) {
          auto lines = image::parse_manifest(read_text_file(o->manifest), o->manifest);
          image::apply_manifest(t, lines, o->manifest, &explicit_labels);
        }
        // After the manifest, so devices it adds are labelled too; its own labels win.
        if (!o->file_contexts.empty()) {
          // The writer's default, made visible to labelling.
          if (!t.find("lost+found")) t.add(image::default_lost_found(), o->output);
          image::apply_file_contexts(t, o->file_contexts, explicit_labels);
        }
        const std::vector<HashAlg> banks = parse_hash_alg_list(o->measure);
        // Every output is written to a temporary beside it and renamed only when all are
        // complete (OutputSet): a failure in any of them leaves none, and the previous files
        // at those paths stay as they were. The temporaries exist before the build starts, so
        // an output that cannot be created fails the command at once.
        OutputSet outputs;
        // With --vhd the raw image is a scratch temporary beside the output, never committed
        // (removed on exit); verity and the digests describe the raw file system (what
        // dm-verity and a measuring initramfs read). Both are computed from the bytes as the
        // writer writes them: no second read of the image.
        std::optional<AtomicFile> raw_scratch;
        AtomicFile& raw = o->vhd.empty() ? outputs.add(o->output) : raw_scratch.emplace(o->output);
        AtomicFile* hash_out = o->verity.empty() ? nullptr : &outputs.add(o->verity);
        AtomicFile* digests_out =
            banks.empty() ? nullptr
                          : &outputs.add(o->measure_out.empty() ? o->output + ".digests.json"
                                                                : o->measure_out);
        AtomicFile* vhd_out = o->vhd.empty() ? nullptr : &outputs.add(o->output);
        std::unique_ptr<image::MeasureSink> sink;
        if (!banks.empty() || hash_out)
          sink = std::make_unique<image::MeasureSink>(
              banks, o->output, hash_out, hash_out ? verity_params(o->v) : image::VerityParams{});
        auto r = image::write_ext_image(t, opts, raw, sink.get());
        std::optional<image::VerityFileResult> vr;
        nlohmann::ordered_json digests;
        if (sink) {
          vr = sink->verity();
          if (digests_out) {
            digests["file"] = o->output;
            digests["size"] = r.size_bytes;
            for (const auto& d : sink->digests())
              digests[std::string(hash_alg_name(d.alg()))] = d.hex();
            digests_out->write(dump_json(digests, 2) + "\n");
          }
        }
        if (vhd_out)
          image::write_vhd(raw.temp_path(), *vhd_out,
                           o->vhd == "fixed" ? image::VhdKind::kFixed : image::VhdKind::kDynamic,
                           opts.timestamp);
        // The image among them is fsync'd before its rename like every other output: renamed
        // first, a crash could leave IMG naming blocks that never reached the disk.
        outputs.commit();
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
