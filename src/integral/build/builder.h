// integral build: every image of a build description, then every boot's prediction, into one
// output directory with a reference-values bundle (reference_values.h).
//
// Images are built in parallel (one per worker thread), each from the image cache when its
// inputs did not change. Everything is written into a staging directory beside OUT, which
// replaces OUT in one rename only when the whole build succeeded: a failed build leaves OUT as
// it was. Outputs depend only on the description and its inputs, never on the machine, the
// time, the checkout's location or the cache, so a clean build, a cached build and another
// worker's build of the same commit are byte-identical.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "integral/build/build_description.h"

namespace integral::build {

struct BuildOptions {
  std::filesystem::path out;
  std::filesystem::path cache_dir;  // empty: no cache
  uint64_t cache_max_bytes = 4ull << 30;
  unsigned jobs = 0;  // images built at once; 0: one per hardware thread
  // Build only these images (and no boot, no bundle): one share of a build fanned out over
  // several machines, whose image caches a final full build then draws on.
  std::set<std::string> only_images;
};

struct BuildReport {
  struct Image {
    std::string name;
    bool cached = false;
    double seconds = 0;
  };
  std::vector<Image> images;
  std::vector<std::string> boots;
  double seconds = 0;
  nlohmann::ordered_json bundle;  // what OUT/reference-values.json holds
};

BuildReport run_build(const BuildDescription& d, const BuildOptions& options);

}  // namespace integral::build
