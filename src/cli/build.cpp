// integral build BUILD.toml -o OUT : every image of a build description and every boot's
// predicted PCRs, with one reference-values bundle.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "integral/build/builder.h"
#include "integral/build/image_cache.h"
#include "integral/util/error.h"
#include "integral/util/json_io.h"
#include "integral/util/number.h"
#include "integral/util/text.h"

namespace integral::cli {

namespace {

Command add_build(CLI::App& root) {
  auto* app = root.add_subcommand(
      "build", "Build every image of a build description and predict every boot's PCRs");
  struct Opts {
    std::string description, output, cache_dir, cache_max = "4G";
    bool no_cache = false, json = false, list_images = false;
    unsigned jobs = 0;
    std::vector<std::string> images;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("description", o->description, "Build description (.toml)")->required();
  auto* output = app->add_option("-o,--output", o->output,
                                 "Output directory (replaced as a whole on success)");
  auto* list = app->add_flag("--list-images", o->list_images,
                             "Print the description's image names, one a line, and build nothing");
  output->excludes(list);
  app->add_option("--image", o->images,
                  "Build only this image (repeatable), no boot and no bundle: one share of a build "
                  "fanned out over several workers");
  app->add_option("-j,--jobs", o->jobs, "Images built at once (default: one per CPU)");
  app->add_option("--cache-dir", o->cache_dir,
                  "Image cache (default: $INTEGRAL_CACHE_DIR, $XDG_CACHE_HOME/integral or "
                  "~/.cache/integral)");
  app->add_option("--cache-max", o->cache_max, "Cache size bound (bytes, or with K/M/G)")
      ->capture_default_str();
  app->add_flag("--no-cache", o->no_cache, "Build every image anew, and store none");
  app->add_flag("--json", o->json, "Machine-readable summary");
  return {
      app, [o] {
        if (o->list_images) {
          std::string names;
          for (const auto& i : build::load_build_description(o->description).images)
            names += i.name + "\n";  // checked names: letters, digits, - _ .
          emit("", names);
          return 0;
        }
        if (o->output.empty()) throw_usage("--output is required");
        build::BuildOptions opts;
        opts.only_images = {o->images.begin(), o->images.end()};
        opts.out = o->output;
        opts.jobs = o->jobs;
        opts.cache_dir = o->no_cache            ? std::filesystem::path()
                         : o->cache_dir.empty() ? build::default_cache_dir()
                                                : std::filesystem::path(o->cache_dir);
        auto max = parse_size(o->cache_max);
        if (!max) throw_usage(fmt::format("bad --cache-max '{}'", o->cache_max));
        opts.cache_max_bytes = *max;
        auto d = build::load_build_description(o->description);
        auto r = build::run_build(d, opts);
        if (o->json) {
          nlohmann::ordered_json j;
          j["output"] = o->output;
          j["images"] = nlohmann::ordered_json::array();
          for (const auto& i : r.images)
            j["images"].push_back({{"name", i.name}, {"cached", i.cached}, {"seconds", i.seconds}});
          j["boots"] = r.boots;
          j["seconds"] = r.seconds;
          emit("", dump_json(j, 2) + "\n");
          return 0;
        }
        std::string text;
        for (const auto& i : r.images)
          text += fmt::format("image {}: {} ({:.2f} s)\n", escape_terminal(i.name),
                              i.cached ? "from the cache" : "built", i.seconds);
        for (const auto& b : r.boots) {
          const auto& pcrs = r.bundle["boots"][b]["pcrs"];
          text += fmt::format("boot {}: {} PCR values", escape_terminal(b), [&] {
            size_t n = 0;
            for (const auto& [bank, values] : pcrs.items()) n += values.size();
            return n;
          }());
          if (r.bundle["boots"][b].contains("policy"))
            text += fmt::format(", PolicyPCR {} {}",
                                r.bundle["boots"][b]["policy"]["selection"].get<std::string>(),
                                r.bundle["boots"][b]["policy"]["digest"].get<std::string>());
          text += "\n";
        }
        text += fmt::format("{}: {} images, {} boots ({:.2f} s)\n", escape_terminal(o->output),
                            r.images.size(), r.boots.size(), r.seconds);
        emit("", text);
        return 0;
      }};
}

const CommandRegistrar registered(15, add_build);

}  // namespace

}  // namespace integral::cli
