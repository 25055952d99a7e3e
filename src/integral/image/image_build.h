// One image as `integral mkfs` and `integral build` make it: a tree (a directory or a tar),
// overlaid by its manifest and SELinux labels, written as ext2/3/4, optionally wrapped in a
// VHD, with its digests and dm-verity tree computed from the bytes as they are written.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "integral/crypto/digest.h"
#include "integral/image/ext_writer.h"
#include "integral/image/tree.h"
#include "integral/image/verity.h"
#include "integral/image/vhd.h"
#include "integral/util/atomic_file.h"

namespace integral::image {

struct ImageSpec {
  std::filesystem::path tree;  // exactly one of tree and tar
  std::filesystem::path tar;
  std::filesystem::path manifest;       // optional
  std::filesystem::path file_contexts;  // optional
  ExtOptions ext;
  std::optional<VhdKind> vhd;          // nullopt: a raw image
  std::vector<HashAlg> banks;          // digests of the raw file system (what an initramfs reads)
  std::optional<VerityParams> verity;  // a dm-verity tree of the raw file system
};

// Every timestamp of an image unless its options say otherwise: $SOURCE_DATE_EPOCH when set
// (reproducible-builds.org's convention), else 1. A set but malformed value is bad input.
int64_t default_timestamp();

// Loads the spec's tree and applies its manifest and file_contexts: exactly what the image
// will hold. `output` names the image in messages.
Tree load_image_tree(const ImageSpec& spec, const std::string& output);

struct BuiltImage {
  ExtResult ext;
  size_t entries = 0;
  std::vector<Digest> digests;  // of the raw file system, one per spec.banks
  std::optional<VerityFileResult> verity;
};

// Writes the image (and the verity tree to `verity_out` when the spec asks for one) into
// temporaries of `outputs`, which the caller commits together with anything else it derives.
// With a VHD the raw file system is a scratch file, never committed.
BuiltImage build_image(const ImageSpec& spec, const Tree& tree,
                       const std::filesystem::path& image_out,
                       const std::filesystem::path& verity_out, OutputSet& outputs);

}  // namespace integral::image
