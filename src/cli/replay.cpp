// integral replay LOG : the PCR values an event log produces (a table, tpm2_pcrread's YAML, or
// JSON).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/log_options.h"
#include "cli/render.h"
#include "integral/chain/replay.h"
#include "integral/eventlog/event_log.h"
#include "integral/eventlog/ima_replay.h"
#include "integral/eventlog/quirks.h"
#include "integral/tpm/pcr_yaml.h"
#include "integral/util/error.h"
#include "integral/util/json_io.h"
#include "integral/util/mapped_file.h"
#include "integral/util/text.h"

namespace integral::cli {

namespace {

struct Opts {
  std::string log, format = "auto", pcrs, output, banks = "sha1,sha256", padded, ima_bank;
  std::vector<std::string> quirks;
  bool json = false, yaml = false;
};

// {"sha256": {"0": "hex", ...}, ...}: the selected PCRs' values.
nlohmann::ordered_json pcrs_json(const PcrSet& values, const PcrSelection& show) {
  auto pcrs = nlohmann::ordered_json::object();
  for (const auto& b : show.banks()) {
    auto& jb = pcrs[std::string(hash_alg_name(b.alg))] = nlohmann::ordered_json::object();
    for (unsigned i = 0; i < kPcrCount; ++i)
      if (b.pcrs.test(i)) jb[std::to_string(i)] = values.get(b.alg, i).hex();
  }
  return pcrs;
}

// An IMA list is replayed as a stream; every template hash is recomputed and checked.
int replay_ima_list(const Opts& o, PcrSelection show) {
  if (!o.quirks.empty()) throw_usage("--quirk applies to firmware logs, not IMA lists");
  auto banks = parse_hash_alg_list(o.banks);
  ImaReader reader(o.log, std::nullopt, ima_bank_option(o.ima_bank));
  ImaReplay r = replay_ima(reader, banks, parse_hash_alg_list(o.padded));
  if (r.mismatch_count) {
    const auto& m = r.mismatches.front();
    throw_bad_input(
        fmt::format("{} {}: template hash {} does not match its fields ({}); {} "
                    "entr{} differ",
                    reader.format() == ImaFormat::kAscii ? "line" : "offset",
                    reader.format() == ImaFormat::kAscii ? std::to_string(m.where)
                                                         : fmt::format("{:#x}", m.where),
                    m.logged, m.computed, r.mismatch_count, r.mismatch_count == 1 ? "y" : "ies"),
        o.log);
  }
  for (const auto& b : show.banks())
    if (!r.values.has_bank(b.alg))
      throw_usage(fmt::format("--pcrs names bank {} that --bank does not", hash_alg_name(b.alg)));
  if (show.empty() && !o.yaml)
    for (HashAlg alg : banks)
      for (unsigned pcr : r.pcrs) show.add(alg, pcr);
  std::string text;
  std::string form =
      fmt::format("{} ({} template hashes)",
                  reader.format() == ImaFormat::kAscii ? "IMA ASCII list" : "IMA binary list",
                  hash_alg_name(reader.bank()));
  if (o.yaml) {
    text = write_pcr_yaml(r.values, show);
  } else if (o.json) {
    nlohmann::ordered_json j;
    j["file"] = json_safe(o.log);
    j["format"] = form;
    j["entries"] = r.entries;
    j["violations"] = r.violations;
    j["pcrs"] = pcrs_json(r.values, show);
    text = dump_json(j, 2) + "\n";
  } else {
    text = fmt::format("{}: {}, {} entries, {} violation(s), template hashes checked\n",
                       escape_terminal(o.log), form, r.entries, r.violations);
    text += render_pcr_table(r.values, show);
  }
  emit(o.output, text);
  return 0;
}

// What a firmware log replays to, and what the output says about it.
struct Replayed {
  std::optional<PcrSet> values;  // always set (PcrSet has no empty state)
  PcrSelection touched;
  std::string format_name;
  uint64_t events = 0;
  unsigned locality = 0;
  bool hcrtm = false;
};

Replayed replay_log_file(const Opts& o, LogFormat format) {
  Replayed out;
  LogFormat resolved = format == LogFormat::kAuto ? sniff_log_file(o.log) : format;
  // A plain TCG log is streamed (no events kept); dumps and quirks need the chain.
  if (resolved == LogFormat::kTcg && o.quirks.empty()) {
    MappedFile f(o.log);
    TcgReplay r = replay_tcg_log(f.bytes(), o.log);
    out.values = std::move(r.values);
    out.touched = r.touched;
    out.events = r.events;
    out.locality = r.startup_locality;
    out.hcrtm = r.hcrtm;
    out.format_name =
        r.format == TcgLogFormat::kCryptoAgile ? "TCG crypto-agile" : "TCG SHA-1 (TCG_PCR_EVENT)";
    return out;
  }
  EventLog log = load_event_log(o.log, resolved);
  for (const auto& q : o.quirks) apply_quirk(q, log.tcg.chain, log.banks());
  out.values = replay(log.chain(), log.banks());
  out.touched = touched_pcrs(log.chain(), log.banks());
  out.events = log.chain().events.size();
  out.locality = log.chain().startup_locality;
  out.hcrtm = pcr0_starts_by_hcrtm(log.chain());
  out.format_name = log.format_name();
  return out;
}

std::string render_replay(const Opts& o, const Replayed& r, PcrSelection show) {
  const PcrSet& values = *r.values;
  if (o.yaml) return write_pcr_yaml(values, show);
  if (show.empty()) show = r.touched;
  if (o.json) {
    nlohmann::ordered_json j;
    j["file"] = json_safe(o.log);
    j["format"] = r.format_name;
    j["events"] = r.events;
    j["startup_locality"] = r.locality;
    j["quirks"] = o.quirks;
    j["pcrs"] = pcrs_json(values, show);
    return dump_json(j, 2) + "\n";
  }
  std::string text =
      fmt::format("{}: {}, {} events{}\n", escape_terminal(o.log), r.format_name, r.events,
                  r.hcrtm ? ", PCR 0 from locality 4 (H-CRTM event first)" : "");
  return text + render_pcr_table(values, show);
}

int run_replay(const Opts& o) {
  const LogFormat format = log_format_option(o.format);
  PcrSelection show = o.pcrs.empty() ? PcrSelection() : PcrSelection::parse(o.pcrs);
  if (is_ima_list(format, o.ima_bank, o.log)) return replay_ima_list(o, show);
  if (!o.padded.empty() || !o.ima_bank.empty())
    throw_usage("--ima-padded and --ima-bank apply to IMA lists");
  const Replayed r = replay_log_file(o, format);
  for (const auto& b : show.banks())
    if (!r.values->has_bank(b.alg))
      throw_usage(
          fmt::format("--pcrs names bank {} that {} does not have", hash_alg_name(b.alg), o.log));
  emit(o.output, render_replay(o, r, show));
  return 0;
}

Command add_replay(CLI::App& root) {
  auto* app = root.add_subcommand("replay", "Replay an event log into PCR values");
  auto o = std::make_shared<Opts>();
  add_log_argument(app, o->log);
  auto* json = app->add_flag("--json", o->json, "Machine-readable output");
  app->add_flag("--yaml", o->yaml, "PCRs in tpm2_pcrread's YAML layout")->excludes(json);
  app->add_option("--pcrs", o->pcrs,
                  "PCRs to show, tpm2-tools syntax (default: those the log extends; every PCR of "
                  "the log's banks for --yaml)");
  add_format_option(app, o->format);
  app->add_option("--bank", o->banks, "Banks to replay an IMA list into")->capture_default_str();
  add_ima_padded_option(app, o->padded);
  add_ima_bank_option(app, o->ima_bank);
  add_quirk_option(app, o->quirks);
  app->add_option("-o,--output", o->output, "Write to this file (atomically) instead of stdout");
  return {app, [o] { return run_replay(*o); }};
}

const CommandRegistrar registered(25, add_replay);

}  // namespace

}  // namespace integral::cli
