// mkfs manifests (untrusted text): parse, then apply to a small tree.
#include <cstdint>
#include <string>

#include "integral/image/manifest.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto lines = integral::image::parse_manifest(
        std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    integral::image::Tree tree;
    integral::image::Entry d;
    d.path = "etc";
    d.type = integral::image::EntryType::kDirectory;
    tree.add(d, "fuzz");
    integral::image::apply_manifest(tree, lines, "fuzz");
  } catch (const integral::Error&) {
  }
  return 0;
}
