// integral verity IMG [-o HASHFILE | --hash-offset N] : a dm-verity hash tree and root hash,
// equal to `veritysetup format` for the same salt, UUID and block sizes.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/verity_common.h"
#include "integral/util/error.h"
#include "integral/util/json_io.h"

namespace integral::cli {

namespace {

Command add_verity(CLI::App& root) {
  auto* app = root.add_subcommand(
      "verity", "Compute a dm-verity hash tree and root hash (as veritysetup format)");
  struct Opts {
    std::string image, output;
    std::optional<uint64_t> hash_offset;
    VerityCliOptions v;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("image", o->image, "Data image")->required();
  auto* out = app->add_option("-o,--output", o->output, "Hash file to write (atomically)");
  auto* off = app->add_option("--hash-offset", o->hash_offset,
                              "Append the tree to the image at this byte offset");
  out->excludes(off);
  add_verity_options(*app, o->v);
  app->add_flag("--json", o->json, "Machine-readable summary");
  return {app, [o] {
            if (o->output.empty() && !o->hash_offset)
              throw_usage("give -o HASHFILE or --hash-offset N");
            auto r = run_verity(o->image, o->output, o->hash_offset, o->v);
            emit("", o->json ? dump_json(verity_json(r), 2) + "\n" : verity_text(r));
            return 0;
          }};
}

const CommandRegistrar registered(61, add_verity);

}  // namespace

}  // namespace integral::cli
