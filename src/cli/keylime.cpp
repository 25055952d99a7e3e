// integral keylime BOOT : keylime's measured-boot reference state (mb_refstate) for a predicted
// boot, the file keylime-policy's `create measured-boot` makes from a golden machine's log.
#include "cli/commands.h"
#include "integral/reference/keylime_refstate.h"

namespace integral::cli {

namespace {

Command add_keylime(CLI::App& root) {
  auto* app = root.add_subcommand(
      "keylime",
      "Write keylime's measured-boot reference state (mb_refstate) for a predicted boot");
  struct Opts {
    std::string boot, output;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("boot", o->boot, "Boot description (.toml) or a prediction manifest (.json)")
      ->required();
  app->add_option("-o,--output", o->output, "Write to this file (atomically) instead of stdout");
  return {app, [o] {
            emit(o->output, keylime_mb_refstate(load_prediction(o->boot)));
            return 0;
          }};
}

const CommandRegistrar registered(16, add_keylime);

}  // namespace

}  // namespace integral::cli
