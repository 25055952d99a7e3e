// integral verify --expect (BOOT.toml | prediction.json) --pcrs PCRREAD.yaml
// Exit 0 when every checked PCR equals the prediction, 1 on a mismatch (naming the first
// differing PCR, its bank and the predicted events that fed it).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/render.h"
#include "integral/chain/compare.h"
#include "integral/chain/replay.h"
#include "integral/predict/prediction.h"
#include "integral/tpm/pcr_yaml.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral::cli {

namespace {

Command add_verify(CLI::App& root) {
  auto* app = root.add_subcommand("verify", "Check observed PCR values against a prediction");
  struct Opts {
    std::string expect, pcrs, select;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("--expect", o->expect, "Boot description (.toml) or prediction manifest (.json)")
      ->required();
  app->add_option("--pcrs", o->pcrs, "PCR values as written by tpm2_pcrread (YAML)")->required();
  app->add_option("--select", o->select,
                  "PCRs to check, tpm2-tools syntax (default: every PCR the prediction extends, "
                  "in the banks the readout has)");
  app->add_flag("--json", o->json, "Machine-readable report");

  return {app, [o] {
            Prediction p = load_prediction(o->expect);
            PcrValues observed = parse_pcr_yaml(read_text_file(o->pcrs), o->pcrs);
            PcrSet values = p.values();

            PcrSelection sel;
            std::vector<std::string> skipped;
            if (!o->select.empty()) {
              sel = PcrSelection::parse(o->select);
              for (const auto& b : sel.banks())
                if (!values.has_bank(b.alg))
                  throw_usage(fmt::format("--select names bank {} that the prediction lacks",
                                          hash_alg_name(b.alg)));
            } else {
              const PcrSelection touched = touched_pcrs(p.chain, p.banks);
              for (const auto& b : touched.banks()) {
                bool read = false;
                for (const auto& [alg, m] : observed.banks) read = read || alg == b.alg;
                if (!read) {
                  skipped.emplace_back(hash_alg_name(b.alg));
                  continue;
                }
                for (unsigned i = 0; i < kPcrCount; ++i)
                  if (b.pcrs.test(i)) sel.add(b.alg, i);
              }
              if (sel.empty())
                throw_bad_input("has none of the banks the prediction extends", o->pcrs);
            }

            ValueComparison cmp = compare_values(p.chain, values, observed, sel);
            const PcrCheck* first = cmp.first_mismatch();
            std::string text;
            if (o->json) {
              nlohmann::ordered_json j;
              j["result"] = cmp.ok() ? "match" : "mismatch";
              j["expect"] = o->expect;
              j["pcrs"] = o->pcrs;
              j["skipped_banks"] = skipped;
              auto& checks = j["checks"] = nlohmann::ordered_json::array();
              for (const auto& c : cmp.checks) {
                nlohmann::ordered_json jc;
                jc["pcr"] = c.pcr;
                jc["bank"] = hash_alg_name(c.alg);
                jc["match"] = c.match();
                jc["expected"] = c.expected.hex();
                jc["observed"] = c.observed ? nlohmann::ordered_json(c.observed->hex())
                                            : nlohmann::ordered_json(nullptr);
                auto& evs = jc["events"] = nlohmann::ordered_json::array();
                for (size_t i : c.events) {
                  const Event& e = p.chain.events[i];
                  evs.push_back({{"index", i},
                                 {"description", e.description},
                                 {"artifact", e.provenance.artifact},
                                 {"rule", e.provenance.rule}});
                }
                checks.push_back(jc);
              }
              text = j.dump(2) + "\n";
            } else {
              text += "PCR  bank     verdict   predicted / observed\n";
              for (const auto& c : cmp.checks) {
                text +=
                    fmt::format("{:>3}  {:<7}  {:<8}  {}\n{:>24}{}\n", c.pcr, hash_alg_name(c.alg),
                                c.match() ? "match" : "MISMATCH", c.expected.hex(), "",
                                c.observed ? c.observed->hex() : "(not in readout)");
              }
              for (const auto& s : skipped)
                text += fmt::format("note: bank {} is predicted but not in {}; not checked\n", s,
                                    o->pcrs);
              if (first) {
                text += fmt::format(
                    "verify: MISMATCH: first difference in PCR {} bank {}; the prediction fed it "
                    "{} event(s):\n",
                    first->pcr, hash_alg_name(first->alg), first->events.size());
                for (size_t i : first->events) text += render_event(p.chain.events[i], i);
                if (first->events.empty())
                  text += "  (none: the prediction expects the reset value)\n";
              } else {
                text += fmt::format("verify: OK: {} PCR values match\n", cmp.checks.size());
              }
            }
            emit("", text);
            return cmp.ok() ? 0 : static_cast<int>(ExitCode::kMismatch);
          }};
}

const CommandRegistrar registered(20, add_verify);

}  // namespace

}  // namespace integral::cli
