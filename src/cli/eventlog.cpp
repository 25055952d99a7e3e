// integral eventlog show LOG : decode a TCG event log (or a go-attestation dump) like
// tpm2_eventlog, with the PCR values it replays to.
// integral eventlog quirks   : the named firmware quirk rules --quirk accepts.
// integral eventlog boot-aggregate LOG : IMA's boot_aggregate from the log's replayed PCRs.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/log_options.h"
#include "integral/chain/replay.h"
#include "integral/eventlog/boot_aggregate.h"
#include "integral/eventlog/event_log.h"
#include "integral/eventlog/ima_log.h"
#include "integral/eventlog/log_render.h"
#include "integral/eventlog/quirks.h"
#include "integral/util/error.h"
#include "integral/util/json_io.h"
#include "integral/util/text.h"

namespace integral::cli {

namespace {

// IMA lists: one line (or JSON object) per entry, with the template hash recomputed.
std::string show_ima(const std::string& path, std::optional<HashAlg> bank, bool json) {
  ImaReader reader(path, std::nullopt, bank);
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  std::string text;
  ImaEntry e;
  uint64_t n = 0;
  while (reader.next(e)) {
    Digest computed = hash(reader.bank(), e.template_data);
    std::string check = e.violation() ? "violation" : computed == e.logged ? "ok" : "MISMATCH";
    if (json) {
      entries.push_back({{"index", n},
                         {reader.format() == ImaFormat::kAscii ? "line" : "offset", e.where},
                         {"pcr", e.pcr},
                         {"template_hash", e.logged.hex()},
                         {"template", json_safe(e.template_name)},
                         {"file_digest", json_safe(e.file_digest)},
                         {"name", json_safe(e.name)},
                         {"extra", json_safe(e.extra)},
                         {"check", check}});
    } else {
      text += fmt::format("#{:<5} PCR {} {} {} {} {}{}\n", n, e.pcr, e.logged.hex(),
                          escape_terminal(e.template_name), escape_terminal(e.file_digest),
                          escape_terminal(e.name), check == "ok" ? "" : "  [" + check + "]");
    }
    ++n;
  }
  if (!json) return text;
  nlohmann::ordered_json j;
  j["file"] = json_safe(path);
  j["format"] = reader.format() == ImaFormat::kAscii ? "IMA ASCII list" : "IMA binary list";
  j["bank"] = hash_alg_name(reader.bank());
  j["entries"] = std::move(entries);
  return dump_json(j, 2) + "\n";
}

Command add_eventlog(CLI::App& root) {
  auto* app = root.add_subcommand("eventlog", "Read event logs");
  app->require_subcommand(1);
  struct Opts {
    std::string log, format = "auto", output, ima_bank;
    std::vector<std::string> quirks;
    bool json = false, yaml = false;
  };
  auto o = std::make_shared<Opts>();
  auto* show = app->add_subcommand("show", "Decode an event log and replay it");
  add_log_argument(show, o->log);
  auto* json = show->add_flag("--json", o->json, "Machine-readable output");
  show->add_flag("--yaml", o->yaml, "YAML in tpm2_eventlog's layout")->excludes(json);
  add_format_option(show, o->format);
  add_quirk_option(show, o->quirks);
  add_ima_bank_option(show, o->ima_bank);
  show->add_option("-o,--output", o->output, "Write to this file (atomically) instead of stdout");
  auto* quirks = app->add_subcommand("quirks", "List the named firmware quirk rules");
  auto* agg = app->add_subcommand(
      "boot-aggregate",
      "IMA's boot_aggregate per bank from a TCG log's replay (SHA-1 over PCRs 0-7, other banks "
      "over 0-9), printed as evmctl ima_boot_aggregate does");
  add_log_argument(agg, o->log);
  add_quirk_option(agg, o->quirks);

  return {app, [o, show, quirks, agg] {
            if (quirks->parsed()) {
              std::string text;
              for (const auto& q : quirk_rules())
                text += fmt::format("{}\n    {}\n", q.name, q.description);
              emit("", text);
              return 0;
            }
            (void)show;
            if (agg->parsed()) {
              EventLog log = load_event_log(o->log, LogFormat::kAuto);
              for (const auto& q : o->quirks) apply_quirk(q, log.tcg.chain, log.banks());
              PcrSet values = replay(log.chain(), log.banks());
              std::string text;
              for (HashAlg alg : log.banks())
                if (hash_alg_available(alg))
                  text +=
                      fmt::format("{}:{}\n", hash_alg_name(alg), boot_aggregate(values, alg).hex());
              emit("", text);
              return 0;
            }
            const LogFormat format = log_format_option(o->format);
            if (is_ima_list(format, o->ima_bank, o->log)) {
              if (o->yaml) throw_usage("--yaml (tpm2_eventlog's layout) is for TCG logs");
              emit(o->output, show_ima(o->log, ima_bank_option(o->ima_bank), o->json));
              return 0;
            }
            if (!o->ima_bank.empty()) throw_usage("--ima-bank applies to IMA lists");
            EventLog log = load_event_log(o->log, format);
            for (const auto& q : o->quirks) apply_quirk(q, log.tcg.chain, log.banks());
            PcrSet values = replay(log.chain(), log.banks());
            std::string text;
            if (o->yaml)
              text = eventlog_yaml(log, values);
            else if (o->json)
              text = dump_json(eventlog_json(log, values), 2) + "\n";
            else
              text = eventlog_text(log, values);
            emit(o->output, text);
            return 0;
          }};
}

const CommandRegistrar registered(30, add_eventlog);

}  // namespace

}  // namespace integral::cli
