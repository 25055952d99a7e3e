// integral predict BOOT.toml : the PCR values a boot will produce, from its artifacts.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/render.h"
#include "integral/chain/replay.h"
#include "integral/predict/prediction.h"
#include "integral/tpm/pcr_yaml.h"
#include "integral/tpm/policy_pcr.h"
#include "integral/util/error.h"
#include "integral/util/json_io.h"
#include "integral/util/text.h"

namespace integral::cli {

namespace {

Command add_predict(CLI::App& root) {
  auto* app = root.add_subcommand("predict", "Predict the PCR values a boot will produce");
  struct Opts {
    std::string boot;
    bool json = false, yaml = false, events = false;
    std::string pcrs, policy, policy_alg = "sha256", output;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("boot", o->boot, "Boot description (.toml) or a prediction manifest (.json)")
      ->required();
  auto* json = app->add_flag("--json", o->json, "Write the prediction manifest (JSON)");
  app->add_flag("--yaml", o->yaml, "Write PCRs in tpm2_pcrread's YAML layout")->excludes(json);
  app->add_flag("--events", o->events, "Also list the predicted events (table output)");
  app->add_option("--pcrs", o->pcrs,
                  "PCRs to show, tpm2-tools syntax (default: those the boot extends; all for "
                  "--yaml)");
  app->add_option("--policy", o->policy,
                  "Add the TPM2 PolicyPCR digest of this selection (e.g. sha256:9,16)");
  app->add_option("--policy-alg", o->policy_alg, "Policy session hash algorithm")
      ->capture_default_str();
  app->add_option("-o,--output", o->output, "Write to this file (atomically) instead of stdout");

  return {app, [o] {
            PcrSelection show = o->pcrs.empty() ? PcrSelection() : PcrSelection::parse(o->pcrs);
            auto policy_alg = parse_hash_alg(o->policy_alg);
            if (!policy_alg)
              throw_usage(fmt::format("unknown policy algorithm '{}'", o->policy_alg));
            PcrSelection policy_sel;
            if (!o->policy.empty()) policy_sel = PcrSelection::parse(o->policy);

            Prediction p = load_prediction(o->boot);
            PcrSet values = p.values();
            auto check_banks = [&](const PcrSelection& s, const char* what) {
              for (const auto& b : s.banks())
                if (!values.has_bank(b.alg))
                  throw_usage(fmt::format("{} names bank {} that {} does not have", what,
                                          hash_alg_name(b.alg), o->boot));
            };
            check_banks(show, "--pcrs");
            check_banks(policy_sel, "--policy");
            std::optional<Digest> policy;
            if (!o->policy.empty()) policy = policy_pcr_digest(policy_sel, values, *policy_alg);

            std::string text;
            if (o->yaml) {
              text = write_pcr_yaml(values, show);
            } else if (o->json) {
              auto j = prediction_to_json(p);
              if (policy) {
                j["policy"] = {{"selection", policy_sel.to_string()},
                               {"alg", hash_alg_name(*policy_alg)},
                               {"digest", policy->hex()}};
              }
              text = dump_json(j, 2) + "\n";
            } else {
              if (show.banks().empty()) show = touched_pcrs(p.chain, p.banks);
              text = fmt::format("prediction for {} ({} event{})\n", escape_terminal(o->boot),
                                 p.chain.events.size(), p.chain.events.size() == 1 ? "" : "s");
              text += render_pcr_table(values, show);
              if (policy)
                text += fmt::format("PolicyPCR {} ({} session): {}\n", policy_sel.to_string(),
                                    hash_alg_name(*policy_alg), policy->hex());
              if (o->events) {
                text += "events:\n";
                for (size_t i = 0; i < p.chain.events.size(); ++i)
                  text += render_event(p.chain.events[i], i);
              }
            }
            emit(o->output, text);
            return 0;
          }};
}

const CommandRegistrar registered(10, add_predict);

}  // namespace

}  // namespace integral::cli
