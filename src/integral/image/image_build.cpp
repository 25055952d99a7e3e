#include "integral/image/image_build.h"

#include <fmt/format.h>

#include <cstdlib>
#include <memory>

#include "integral/image/manifest.h"
#include "integral/image/measure_sink.h"
#include "integral/image/selinux_labels.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral::image {

int64_t default_timestamp() {
  const char* sde = std::getenv("SOURCE_DATE_EPOCH");
  if (!sde || !*sde) return 1;
  char* end = nullptr;
  long long v = std::strtoll(sde, &end, 10);
  if (*end) throw_bad_input(fmt::format("SOURCE_DATE_EPOCH '{}' is not a number", sde));
  return v;
}

Tree load_image_tree(const ImageSpec& spec, const std::string& output) {
  Tree t = spec.tree.empty() ? load_tar(spec.tar) : load_directory(spec.tree);
  std::set<std::string> explicit_labels;
  if (!spec.manifest.empty()) {
    auto lines = parse_manifest(read_text_file(spec.manifest), spec.manifest.string());
    apply_manifest(t, lines, spec.manifest.string(), &explicit_labels);
  }
  // After the manifest, so devices it adds are labelled too; its own labels win.
  if (!spec.file_contexts.empty()) {
    // The writer's default, made visible to labelling.
    if (!t.find("lost+found")) t.add(default_lost_found(), output);
    apply_file_contexts(t, spec.file_contexts.string(), explicit_labels);
  }
  return t;
}

BuiltImage build_image(const ImageSpec& spec, const Tree& tree,
                       const std::filesystem::path& image_out,
                       const std::filesystem::path& verity_out, OutputSet& outputs) {
  // With a VHD the raw image is a scratch temporary beside the output (removed when this
  // returns); verity and the digests describe the raw file system, what dm-verity and a
  // measuring initramfs read. Both come from the bytes as the writer writes them: no second
  // read of the image.
  std::optional<AtomicFile> raw_scratch;
  AtomicFile& raw = spec.vhd ? raw_scratch.emplace(image_out) : outputs.add(image_out);
  AtomicFile* hash_out = spec.verity ? &outputs.add(verity_out) : nullptr;
  AtomicFile* vhd_out = spec.vhd ? &outputs.add(image_out) : nullptr;
  std::unique_ptr<MeasureSink> sink;
  if (!spec.banks.empty() || hash_out)
    sink = std::make_unique<MeasureSink>(spec.banks, image_out.string(), hash_out,
                                         spec.verity.value_or(VerityParams{}));
  BuiltImage b;
  b.ext = write_ext_image(tree, spec.ext, raw, sink.get());
  b.entries = tree.entries().size();
  if (sink) {
    b.digests = sink->digests();
    b.verity = sink->verity();
  }
  if (vhd_out) write_vhd(raw.temp_path(), *vhd_out, *spec.vhd, spec.ext.timestamp);
  return b;
}

}  // namespace integral::image
