// integral pcrlock BOOT -o DIR : systemd-pcrlock's .pcrlock components for a predicted boot.
#include <fmt/format.h>

#include "cli/commands.h"
#include "integral/reference/pcrlock.h"
#include "integral/util/atomic_file.h"
#include "integral/util/error.h"

namespace integral::cli {

namespace {

Command add_pcrlock(CLI::App& root) {
  auto* app = root.add_subcommand(
      "pcrlock", "Write systemd-pcrlock components (.pcrlock) for a predicted boot");
  struct Opts {
    std::string boot, dir;
    unsigned first = 100;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("boot", o->boot, "Boot description (.toml) or a prediction manifest (.json)")
      ->required();
  app->add_option("-o,--output", o->dir, "Directory to write the components into (created)")
      ->required();
  app->add_option("--first", o->first,
                  "Number of the first component (NNN-...; pcrlock predicts those from 760 on, "
                  "matches earlier ones against the running boot's log)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 999u));
  return {app, [o] {
            size_t skipped = 0;
            const auto components = pcrlock_components(load_prediction(o->boot), skipped, o->first);
            std::filesystem::create_directories(o->dir);
            // All files or none: one set of atomic outputs.
            OutputSet outputs;
            for (const auto& c : components)
              outputs.add(std::filesystem::path(o->dir) / c.name).write(c.text);
            outputs.commit();
            for (const auto& c : components) fmt::print("{}  {} record(s)\n", c.name, c.records);
            if (skipped)
              fmt::print(
                  "note: {} event(s) on PCRs beyond 15 or setting a value are not components\n",
                  skipped);
            return 0;
          }};
}

const CommandRegistrar registered(14, add_pcrlock);

}  // namespace

}  // namespace integral::cli
