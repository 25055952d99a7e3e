#include "integral/build/builder.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "integral/build/image_cache.h"
#include "integral/build/reference_values.h"
#include "integral/chain/replay.h"
#include "integral/crypto/multi_hasher.h"
#include "integral/image/tree_digest.h"
#include "integral/predict/prediction.h"
#include "integral/reference/pcrlock.h"
#include "integral/tpm/pcr_yaml.h"
#include "integral/tpm/policy_pcr.h"
#include "integral/util/atomic_file.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/hex.h"
#include "integral/util/json_io.h"
#include "integral/util/progress.h"
#include "integral/util/temp_dir.h"

namespace integral::build {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// What makes this integral: its version and its own executable's bytes, so a cache filled by
// another build of integral (whose writer may lay images out differently) is never used.
std::string integral_identity() {
  std::string id = "integral " INTEGRAL_VERSION;
  try {
    id += " " + sha256_file("/proc/self/exe");
  } catch (const Error&) {
    // No /proc: the version alone.
  }
  return id;
}

const char* vhd_name(const std::optional<image::VhdKind>& v) {
  if (!v) return "raw";
  return *v == image::VhdKind::kFixed ? "vhd-fixed" : "vhd-dynamic";
}

// Everything besides the tree that decides the image's bytes and its record.
std::string image_key(const std::string& identity, const ImageEntry& e,
                      const image::ImageSpec& spec, const Digest& tree) {
  std::string k =
      fmt::format("{}\n{}\n{}\n{}\n{}\n{}\n{}\n", identity, tree.hex(), e.type, spec.ext.size_bytes,
                  spec.ext.timestamp, vhd_name(spec.vhd), spec.ext.label);
  k += spec.ext.uuid ? to_hex(*spec.ext.uuid) : "-";
  k += spec.ext.hash_seed ? to_hex(*spec.ext.hash_seed) : "-";
  k += spec.verity ? "verity\n" : "no verity\n";
  for (HashAlg a : spec.banks) k += fmt::format("{},", hash_alg_name(a));
  return hash(HashAlg::kSha256, k).hex();
}

struct ImageFiles {
  std::string image;   // relative to OUT
  std::string verity;  // empty without verity
};

ImageFiles files_of(const ImageEntry& e) {
  ImageFiles f;
  f.image = fmt::format("images/{}.{}", e.name, e.spec.vhd ? "vhd" : "img");
  if (e.spec.verity) f.verity = fmt::format("images/{}.verity", e.name);
  return f;
}

json verity_record(const image::VerityFileResult& v, const std::string& file,
                   const fs::path& staging) {
  json j;
  j["file"] = file;
  j["sha256"] = sha256_file(staging / file);
  j["root_hash"] = v.result.root.hex();
  j["hash_alg"] = std::string(hash_alg_name(v.params.alg));
  j["data_block_size"] = v.params.data_block_size;
  j["hash_block_size"] = v.params.hash_block_size;
  j["data_blocks"] = v.result.data_blocks;
  j["salt"] = to_hex(v.params.salt);
  j["uuid"] = to_hex(v.params.uuid);
  j["superblock"] = v.params.superblock;
  return j;
}

// Builds (or takes from the cache) one image into `staging`; returns its bundle record.
json make_image(const BuildDescription& d, const ImageEntry& e, const fs::path& staging,
                ImageCache& cache, const std::string& identity, BuildReport::Image& report,
                std::set<std::string>& keys, std::mutex& keys_mutex) {
  auto start = std::chrono::steady_clock::now();
  image::ImageSpec spec = e.spec;
  spec.banks = d.image_banks(e.name);
  const ImageFiles files = files_of(e);
  image::Tree tree = image::load_image_tree(spec, files.image);
  const Digest tree_id = image::tree_digest(tree);
  const std::string key = image_key(identity, e, spec, tree_id);
  {
    std::lock_guard lock(keys_mutex);
    keys.insert(key);
  }
  std::map<std::string, fs::path> dest = {{"image", staging / files.image}};
  if (!files.verity.empty()) dest["verity"] = staging / files.verity;
  report.name = e.name;
  if (auto record = cache.fetch(key, dest)) {
    report.cached = true;
    report.seconds = since(start);
    return *record;
  }
  OutputSet outputs;
  image::BuiltImage b =
      image::build_image(spec, tree, staging / files.image,
                         files.verity.empty() ? fs::path() : staging / files.verity, outputs);
  outputs.commit();
  json r;
  r["file"] = files.image;
  r["format"] = vhd_name(spec.vhd);
  r["type"] = e.type;
  r["size"] = fs::file_size(staging / files.image);
  r["sha256"] = spec.vhd ? sha256_file(staging / files.image) : b.digests[0].hex();
  r["tree"] = tree_id.hex();
  json fsj;
  fsj["size"] = b.ext.size_bytes;
  fsj["uuid"] = b.ext.uuid;
  json digests;
  for (const auto& dg : b.digests) digests[std::string(hash_alg_name(dg.alg()))] = dg.hex();
  fsj["digests"] = std::move(digests);
  r["filesystem"] = std::move(fsj);
  if (b.verity) r["verity"] = verity_record(*b.verity, files.verity, staging);
  cache.store(key, dest, r);
  report.seconds = since(start);
  return r;
}

// The artifact a boot's stage sees for an image: its file and the file system's digests.
ImageArtifact artifact_of(const json& record) {
  ImageArtifact a;
  a.path = record.at("file").get<std::string>();
  a.size = record.at("filesystem").at("size").get<uint64_t>();
  for (const auto& [bank, hex] : record.at("filesystem").at("digests").items()) {
    auto alg = parse_hash_alg(bank);
    auto dg = alg ? Digest::from_hex(*alg, hex.get<std::string>()) : std::nullopt;
    if (!dg) throw Error(ExitCode::kEnvironment, fmt::format("image record: bad {} digest", bank));
    a.digests.push_back(*dg);
  }
  if (record.contains("verity")) {
    auto alg = parse_hash_alg(record["verity"].at("hash_alg").get<std::string>());
    if (alg)
      a.verity_root = Digest::from_hex(*alg, record["verity"].at("root_hash").get<std::string>());
  }
  return a;
}

void write_file(const fs::path& path, const std::string& text) {
  AtomicFile f(path);
  f.write(text);
  f.commit();
}

// Predicts one boot into `staging`/boots; returns its bundle entry.
json predict_boot(const BuildDescription& d, const BootEntry& b, const ImageArtifacts& images,
                  const fs::path& staging, std::set<fs::path>& inputs) {
  BootDescription boot = b.boot;  // stages mark the keys they read
  Prediction p;
  p.source = fmt::format("{} [boot.{}]", fs::path(d.source).filename().string(), b.name);
  p.banks = boot.banks;
  p.chain = predict_chain(boot, &images, &inputs);
  // Inputs are named relative to the description, outputs relative to OUT: the same bundle
  // wherever the build ran.
  for (Event& e : p.chain.events) {
    e.provenance.artifact = without_base(e.provenance.artifact, d.base_dir);
    e.description = without_base(e.description, d.base_dir);
  }
  const PcrSet values = p.values();
  PcrSelection touched = touched_pcrs(p.chain, p.banks);
  PcrSelection policy = b.policy.value_or(PcrSelection());
  if (!b.policy) {
    // Default: what the boot extends, in the sha256 bank when the TPM has it.
    HashAlg bank = p.banks.front();
    for (HashAlg a : p.banks)
      if (a == HashAlg::kSha256) bank = a;
    for (const auto& s : touched.banks())
      if (s.alg == bank)
        for (unsigned pcr = 0; pcr < kPcrCount; ++pcr)
          if (s.pcrs.test(pcr)) policy.add(bank, pcr);
  }
  json j = prediction_to_json(p);
  if (!policy.banks().empty())
    j["policy"] = {{"selection", policy.to_string()},
                   {"alg", "sha256"},
                   {"digest", policy_pcr_digest(policy, values, HashAlg::kSha256).hex()}};
  const std::string pred = fmt::format("boots/{}.prediction.json", b.name);
  const std::string pred_text = dump_json(j, 2) + "\n";
  write_file(staging / pred, pred_text);
  write_file(staging / fmt::format("boots/{}.pcrs.yaml", b.name), write_pcr_yaml(values, touched));
  // The same boot as systemd-pcrlock components (integral pcrlock writes the same files).
  size_t skipped = 0;
  const auto components = pcrlock_components(p, skipped);
  if (!components.empty()) {
    const fs::path dir = staging / fmt::format("boots/{}.pcrlock.d", b.name);
    fs::create_directories(dir);
    for (const auto& c : components) write_file(dir / c.name, c.text);
  }
  json entry;
  entry["prediction"] = pred;
  // So a signed bundle vouches for the prediction file `verify --expect` reads.
  entry["prediction_sha256"] = hash(HashAlg::kSha256, pred_text).hex();
  entry["pcrs"] = j["pcrs"];
  if (j.contains("policy")) entry["policy"] = j["policy"];
  entry["events"] = j["events"];
  return entry;
}

// OUT is replaced only by a previous build's output (or when empty): never a user's folder.
void check_replaceable(const fs::path& out) {
  std::error_code ec;
  if (!fs::exists(out, ec)) return;
  if (!fs::is_directory(out, ec))
    throw_bad_input("exists and is not a directory; refusing to replace it", out.string());
  if (fs::is_empty(out, ec) || fs::exists(out / kBundleFile, ec)) return;
  throw_bad_input(fmt::format("is not empty and holds no {}: not a build's output, refusing to "
                              "replace it",
                              kBundleFile),
                  out.string());
}

// Puts the staging directory in OUT's place in one step (renameat2 RENAME_EXCHANGE when OUT
// exists: there is no moment without an OUT); the previous OUT is left at the staging path
// for its TempDir to remove.
void swap_into_place(TempDir& staging, const fs::path& out) {
  std::error_code ec;
  if (fs::exists(out, ec)) {
    if (::renameat2(AT_FDCWD, staging.path().c_str(), AT_FDCWD, out.c_str(), RENAME_EXCHANGE) != 0)
      throw Error(ExitCode::kEnvironment,
                  fmt::format("cannot replace {}: {}", out.string(), std::strerror(errno)));
  } else {
    fs::rename(staging.path(), out);
    staging.release();
  }
}

}  // namespace

BuildReport run_build(const BuildDescription& d, const BuildOptions& o) {
  auto start = std::chrono::steady_clock::now();
  const fs::path out = fs::absolute(o.out);
  check_replaceable(out);
  fs::create_directories(out.parent_path());
  TempDir staging(out.parent_path(), "." + out.filename().string() + ".new-");
  fs::create_directories(staging.path() / "images");
  fs::create_directories(staging.path() / "boots");
  ImageCache cache(o.cache_dir, o.cache_max_bytes);
  const std::string identity = integral_identity();

  std::vector<const ImageEntry*> todo;
  for (const std::string& name : o.only_images)
    if (!d.image(name)) throw_bad_input(fmt::format("has no image '{}' (--image)", name), d.source);
  for (const ImageEntry& e : d.images)
    if (o.only_images.empty() || o.only_images.contains(e.name)) todo.push_back(&e);

  BuildReport report;
  report.images.resize(todo.size());
  std::vector<json> records(todo.size());
  std::vector<std::exception_ptr> errors(todo.size());
  std::set<std::string> keys;
  std::mutex mutex;
  Progress progress("building images", todo.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < todo.size();) {
      try {
        records[i] =
            make_image(d, *todo[i], staging.path(), cache, identity, report.images[i], keys, mutex);
      } catch (...) {
        errors[i] = std::current_exception();
        next = todo.size();  // stop handing out work: the build fails anyway
      }
      std::lock_guard lock(mutex);
      progress.advance(1);
    }
  };
  unsigned jobs = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, static_cast<unsigned>(std::max<size_t>(1, todo.size())));
  {
    std::vector<std::jthread> threads;
    for (unsigned t = 1; t < jobs; ++t) threads.emplace_back(worker);
    worker();
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  if (!o.only_images.empty()) {
    // A share of a fanned-out build: its images (and the cache entries they left), nothing else.
    swap_into_place(staging, out);
    report.seconds = since(start);
    return report;
  }

  ImageArtifacts artifacts;
  json images = json::object();
  std::set<fs::path> inputs;
  for (size_t i = 0; i < d.images.size(); ++i) {
    artifacts[d.images[i].name] = artifact_of(records[i]);
    images[d.images[i].name] = records[i];
    for (const fs::path& p :
         {d.images[i].spec.tar, d.images[i].spec.manifest, d.images[i].spec.file_contexts})
      if (!p.empty()) inputs.insert(p.lexically_normal());
  }
  json boots = json::object();
  for (const BootEntry& b : d.boots) {
    boots[b.name] = predict_boot(d, b, artifacts, staging.path(), inputs);
    report.boots.push_back(b.name);
  }

  json bundle;
  bundle["format"] = kBundleFormat;
  bundle["version"] = 1;
  bundle["provenance"] = build_provenance(d, inputs);
  bundle["images"] = std::move(images);
  bundle["boots"] = std::move(boots);
  write_file(staging.path() / kBundleFile, dump_json(bundle, 2) + "\n");
  swap_into_place(staging, out);
  cache.prune(keys);
  report.bundle = std::move(bundle);
  report.seconds = since(start);
  return report;
}

}  // namespace integral::build
