// grub.cfg text from anywhere, run by the GRUB script model against a boot device whose every
// file holds the input itself (so source and configfile recurse into it, to the depth limit);
// must succeed or throw integral::Error. With Red Hat's blscfg, whose folder lists two
// snippets that are the input too.
#include <cstdint>
#include <span>
#include <string>

#include "integral/predict/grub_script.h"
#include "integral/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  integral::GrubWorld world;
  world.devices = {"hd0,gpt1"};
  world.file = [&](const std::string& dev,
                   const std::string& path) -> std::optional<integral::GrubFile> {
    if (dev != "hd0,gpt1" || path.find("no") != std::string::npos) return std::nullopt;
    return integral::GrubFile{path, bytes};
  };
  world.directory = [](const std::string&, const std::string& path) {
    return path.find("dir") != std::string::npos;
  };
  world.list = [](const std::string&, const std::string& path) {
    return path.find("loader") != std::string::npos
               ? std::vector<std::string>{"a-1.conf", "b-1.10~x.conf", ".c.conf"}
               : std::vector<std::string>{};
  };
  world.blscfg = size % 2 == 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool embedded : {false, true}) {
    try {
      (void)integral::run_grub_script(text, "fuzz", {{"root", "hd0,gpt1"}}, world, embedded);
    } catch (const integral::Error&) {
    }
  }
  return 0;
}
