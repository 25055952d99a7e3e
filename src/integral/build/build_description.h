// A build description (TOML): the images of one build and the boots that measure them.
//
//   [image.netvm]                     # one table per image; its name is the key
//   tree = "netvm-root"               # or tar = "netvm.tar"; paths are relative to this file
//   manifest = "netvm.manifest"       # optional, as integral mkfs --manifest
//   file_contexts = "file_contexts"   # optional, as integral mkfs --file-contexts
//   type = "ext3"                     # ext4 (default), ext3, ext2
//   size = "64M"                      # default: computed from the tree
//   vhd = "dynamic"                   # fixed, dynamic; default: a raw image
//   verity = true                     # a dm-verity tree beside the image
//   digests = ["sha384"]              # more banks than sha256 and those its boots use
//   timestamp, uuid, hash_seed, label # as integral mkfs
//
//   [boot.netvm]                      # one table per boot: a boot description's keys
//   banks = ["sha1", "sha256"]
//   policy = "sha256:9,11"            # optional PolicyPCR selection (default: what it extends)
//   [[boot.netvm.stage]]
//   type = "file"
//   pcr = 9
//   image = "netvm"                   # an image of this build instead of a path
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "integral/image/image_build.h"
#include "integral/predict/boot_description.h"
#include "integral/tpm/pcr_selection.h"

namespace integral::build {

struct ImageEntry {
  std::string name;
  image::ImageSpec spec;             // paths resolved against the description's directory
  std::string type;                  // "ext4", as written
  std::vector<HashAlg> extra_banks;  // `digests`
};

struct BootEntry {
  std::string name;
  BootDescription boot;
  std::optional<PcrSelection> policy;
  std::set<std::string> images;  // the images its stages name
  std::string canonical;         // the boot's table as TOML, for the cache key
};

struct BuildDescription {
  std::string source;
  std::filesystem::path base_dir;
  std::vector<ImageEntry> images;  // sorted by name
  std::vector<BootEntry> boots;    // sorted by name

  const ImageEntry* image(std::string_view name) const;
  // Every bank image `name` is digested in: sha256 (the bundle's), its `digests`, and every
  // bank of every boot that names it.
  std::vector<HashAlg> image_banks(std::string_view name) const;
};

// Parses and validates the description (names, keys, types, that every image a boot names
// exists), not the artifacts. Errors: Error(kBadInput) naming the file and line.
BuildDescription parse_build_description(std::string_view text, const std::string& source,
                                         const std::filesystem::path& base_dir);
BuildDescription load_build_description(const std::filesystem::path& path);

}  // namespace integral::build
