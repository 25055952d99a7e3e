// A boot description (TOML): the TPM's banks and the measurement stages in boot order.
//
//   banks = ["sha1", "sha256"]
//   startup_locality = 0            # optional, 0/3/4
//   [[stage]]
//   type = "file"
//   pcr = 9
//   path = "rootfs.img"
//   method = "meta-measured-tpm12"
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "integral/chain/event.h"
#include "integral/predict/stage.h"

namespace integral {

struct BootDescription {
  std::string source;  // file name, for errors and provenance
  std::filesystem::path base_dir;
  std::vector<HashAlg> banks;
  uint8_t startup_locality = 0;
  std::vector<StageFields> stages;
};

// Parses and validates the description (not the artifacts). Errors: Error(kBadInput) naming
// the file and line.
BootDescription parse_boot_description(std::string_view text, const std::string& source,
                                       const std::filesystem::path& base_dir);
BootDescription load_boot_description(const std::filesystem::path& path);

// Runs every stage in order; the resulting chain is what the boot will extend. `images` are
// the images of the build the boot belongs to (stages name them with `image = "..."`);
// `inputs`, when given, receives every file the stages read.
Chain predict_chain(BootDescription& boot, const ImageArtifacts* images = nullptr,
                    std::set<std::filesystem::path>* inputs = nullptr);

}  // namespace integral
