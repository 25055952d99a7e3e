// integral verify --expect (BOOT.toml | prediction.json) --pcrs PCRREAD.yaml
// integral verify --log LOG [--pcrs PCRREAD.yaml] [--expect PREDICTION] [--check-digests]
// integral verify --log IMA-LIST [--pcrs ...] [--expect ...] [--boot-log FIRMWARE-LOG]
// Exit 0 when every checked PCR equals the prediction, 1 on a mismatch (naming the first
// differing PCR, its bank and the predicted events that fed it). With --log, the log's replay
// is checked against the PCRs read from the TPM, and its events against the prediction's,
// naming per PCR the first event where they part.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/render.h"
#include "integral/chain/compare.h"
#include "integral/chain/replay.h"
#include "integral/eventlog/boot_aggregate.h"
#include "integral/eventlog/digest_check.h"
#include "integral/eventlog/event_log.h"
#include "integral/eventlog/ima_log.h"
#include "integral/eventlog/quirks.h"
#include "integral/predict/prediction.h"
#include "integral/tpm/pcr_yaml.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/json_io.h"
#include "integral/util/text.h"

namespace integral::cli {

namespace {

struct VerifyOpts {
  std::string expect, pcrs, select, log, format = "auto", boot_log, padded, ima_bank;
  std::vector<std::string> quirks;
  bool json = false, check_digests = false;
};

nlohmann::ordered_json event_json(const Event& e, std::optional<size_t> index, HashAlg alg) {
  if (!index) return nullptr;
  const Digest* d = e.digest(alg);
  nlohmann::ordered_json j = {{"index", *index},
                              {"type", e.type_name()},
                              {"description", e.description},
                              {"digest", d ? d->hex() : std::string()},
                              {"artifact", e.provenance.artifact}};
  if (e.provenance.offset) j["offset"] = *e.provenance.offset;
  j["rule"] = e.provenance.rule;
  return j;
}

std::string event_line(const char* side, const Chain& c, std::optional<size_t> index, HashAlg alg) {
  if (!index) return fmt::format("    {:<9} (no more events for this PCR)\n", side);
  const Event& e = c.events[*index];
  return fmt::format("    {:<9} #{} {} \"{}\"\n              {} {}\n              from {}\n", side,
                     *index, e.type_name(), escape_terminal(e.description), hash_alg_name(alg),
                     e.digest(alg) ? e.digest(alg)->hex() : "-",
                     escape_terminal(e.provenance.to_string()));
}

// The observed chain's events against the prediction's, per PCR and bank in `scope`: the first
// divergence of each goes to j["prediction"] and the text. `what` names the observed side
// ("log" / "list"), `unit`/`units` its records ("event" / "entry"). Returns whether all match.
bool compare_with_prediction(const Chain& predicted, const Chain& observed,
                             const std::vector<HashAlg>& banks, const PcrSelection& scope,
                             const VerifyOpts& o, const char* what, const char* unit,
                             const char* units, nlohmann::ordered_json& j, std::string& text) {
  std::vector<Divergence> divs;
  for (const auto& d : compare_chains(predicted, observed, banks))
    if (scope.contains(d.alg, d.pcr)) divs.push_back(d);
  auto& jc = j["prediction"];
  jc["source"] = o.expect;
  jc["result"] = divs.empty() ? "match" : "mismatch";
  auto& jd = jc["divergences"] = nlohmann::ordered_json::array();
  text += fmt::format("{} {} compared with prediction {} ({}):\n", what, escape_terminal(o.log),
                      escape_terminal(o.expect), scope.to_string());
  for (const auto& d : divs) {
    jd.push_back(
        {{"pcr", d.pcr},
         {"bank", hash_alg_name(d.alg)},
         {"position", d.position},
         {"log", d.actual ? event_json(observed.events[*d.actual], d.actual, d.alg)
                          : nlohmann::ordered_json(nullptr)},
         {"predicted", d.expected ? event_json(predicted.events[*d.expected], d.expected, d.alg)
                                  : nlohmann::ordered_json(nullptr)}});
    text += fmt::format("  PCR {} {}: first difference at {} {} of this PCR\n", d.pcr,
                        hash_alg_name(d.alg), unit, d.position + 1);
    text += event_line(what, observed, d.actual, d.alg);
    text += event_line("predicted", predicted, d.expected, d.alg);
  }
  if (divs.empty())
    text += fmt::format("  OK: the {}'s {} equal the predicted ones\n", what, units);
  return divs.empty();
}

// The IMA list as a chain (PCR 10 events with what the kernel extended per bank), for naming the
// entry where it parts from a prediction.
Chain ima_chain(const std::string& path, std::optional<HashAlg> list_bank,
                const std::vector<HashAlg>& banks, const std::vector<HashAlg>& padded) {
  ImaReader reader(path, std::nullopt, list_bank);
  Chain chain;
  ImaEntry e;
  while (reader.next(e)) {
    Event ev;
    ev.pcr = e.pcr;
    for (HashAlg alg : banks) {
      bool pad = std::find(padded.begin(), padded.end(), alg) != padded.end();
      ev.digests.push_back(
          ima_extend_value(e, alg, pad ? ImaBankRule::kPaddedSha1 : ImaBankRule::kNative));
    }
    ev.description = fmt::format("{} {} {}", e.template_name, e.file_digest, e.name);
    ev.provenance = Provenance{
        reader.format() == ImaFormat::kAscii ? fmt::format("{} line {}", path, e.where) : path,
        {},
        reader.format() == ImaFormat::kAscii ? std::nullopt : std::optional(e.where)};
    chain.events.push_back(std::move(ev));
  }
  return chain;
}

// verify --log IMA-LIST: the list's replay (template hashes checked) against the TPM's PCR 10
// in every bank the readout has (--pcrs), against a prediction (--expect), and its first
// entry against the boot_aggregate of a firmware log's PCRs (--boot-log).
int verify_ima(const VerifyOpts& o, const std::optional<PcrSelection>& select) {
  if (o.pcrs.empty() && o.expect.empty() && o.boot_log.empty())
    throw_usage("an IMA list is verified with --pcrs, --expect and/or --boot-log");
  if (!o.quirks.empty()) throw_usage("--quirk applies to firmware logs, not IMA lists");
  const std::vector<HashAlg> padded = parse_hash_alg_list(o.padded);
  const std::optional<HashAlg> list_bank = ima_bank_option(o.ima_bank);
  std::optional<PcrValues> observed;
  std::optional<Prediction> prediction;
  std::vector<HashAlg> banks;
  auto add_bank = [&](HashAlg alg) {
    if (hash_alg_available(alg) && std::find(banks.begin(), banks.end(), alg) == banks.end())
      banks.push_back(alg);
  };
  if (!o.pcrs.empty()) {
    observed = parse_pcr_yaml(read_text_file(o.pcrs), o.pcrs);
    for (const auto& [alg, m] : observed->banks) add_bank(alg);
  }
  if (!o.expect.empty()) {
    prediction = load_prediction(o.expect);
    for (HashAlg alg : prediction->banks) add_bank(alg);
  }
  if (banks.empty()) banks = {HashAlg::kSha1, HashAlg::kSha256};
  ImaReader reader(o.log, std::nullopt, list_bank);
  ImaReplay r = replay_ima(reader, banks, padded);
  bool ok = r.mismatch_count == 0;
  nlohmann::ordered_json j;
  j["log"] = o.log;
  j["entries"] = r.entries;
  j["violations"] = r.violations;
  j["template_hash_mismatches"] = r.mismatch_count;
  j["padded_banks"] = o.padded;
  j["list_bank"] = hash_alg_name(reader.bank());
  std::string text =
      fmt::format("IMA list {}: {} entries, {} violation(s), {} template hashes\n",
                  escape_terminal(o.log), r.entries, r.violations, hash_alg_name(reader.bank()));
  for (const auto& m : r.mismatches)
    text += fmt::format("  entry at {} {} ({}): template hash {} does not match its fields ({})\n",
                        reader.format() == ImaFormat::kAscii ? "line" : "offset", m.where,
                        escape_terminal(m.name), m.logged, m.computed);

  // 1. The replay against the PCRs read from the TPM.
  if (observed) {
    PcrSelection sel;
    if (select) {
      sel = *select;
    } else {
      for (HashAlg alg : banks)
        for (unsigned pcr : r.pcrs)
          if (observed->find(alg, pcr)) sel.add(alg, pcr);
    }
    for (const auto& b : sel.banks())
      if (!r.values.has_bank(b.alg))
        throw_usage(fmt::format("bank {} is not in {}", hash_alg_name(b.alg), o.pcrs));
    if (sel.empty()) throw_bad_input("has none of the PCRs the IMA list extends", o.pcrs);
    auto& checks = j["checks"] = nlohmann::ordered_json::array();
    for (unsigned pcr = 0; pcr < kPcrCount; ++pcr)
      for (const auto& b : sel.banks()) {
        if (!b.pcrs.test(pcr)) continue;
        const Digest& v = r.values.get(b.alg, pcr);
        const Digest* seen = observed->find(b.alg, pcr);
        bool match = seen && *seen == v;
        ok = ok && match;
        checks.push_back({{"pcr", pcr},
                          {"bank", hash_alg_name(b.alg)},
                          {"match", match},
                          {"replayed", v.hex()},
                          {"observed", seen ? nlohmann::ordered_json(seen->hex())
                                            : nlohmann::ordered_json(nullptr)}});
        text += fmt::format("  PCR {} {}: {}\n    replayed  {}\n    observed  {}\n", pcr,
                            hash_alg_name(b.alg), match ? "match" : "MISMATCH", v.hex(),
                            seen ? seen->hex() : "(not in readout)");
      }
  }

  // 2. The list's entries against the predicted events of the PCRs the list extends.
  if (prediction) {
    std::vector<HashAlg> pbanks;
    for (HashAlg a : prediction->banks)
      if (std::find(banks.begin(), banks.end(), a) != banks.end()) pbanks.push_back(a);
    Chain list = ima_chain(o.log, list_bank, pbanks, padded);
    PcrSelection scope;
    if (select) {
      scope = *select;
    } else {
      for (HashAlg alg : pbanks)
        for (unsigned pcr : r.pcrs) scope.add(alg, pcr);
    }
    ok = compare_with_prediction(prediction->chain, list, pbanks, scope, o, "list", "entry",
                                 "entries", j, text) &&
         ok;
  }

  // 3. The first entry against the boot_aggregate of the firmware log's replay.
  if (!o.boot_log.empty()) {
    EventLog boot = load_event_log(o.boot_log, LogFormat::kAuto);
    PcrSet values = replay(boot.chain(), boot.banks());
    ImaReader first_reader(o.log, std::nullopt, list_bank);
    ImaEntry first;
    if (!first_reader.next(first)) throw_bad_input("the IMA list is empty", o.log);
    BootAggregateCheck c = check_boot_aggregate(first, values);
    auto& jb = j["boot_aggregate"];
    jb["boot_log"] = o.boot_log;
    jb["entry"] = first.name;
    jb["bank"] = c.alg ? nlohmann::ordered_json(hash_alg_name(*c.alg)) : nullptr;
    jb["logged"] = c.logged;
    jb["computed"] = c.computed;
    jb["match"] = c.ok();
    jb["variant"] = c.matched;
    ok = ok && c.ok();
    if (!c.is_boot_aggregate)
      text +=
          fmt::format("  first entry is '{}', not boot_aggregate\n", escape_terminal(first.name));
    else if (!c.alg)
      text += "  boot_aggregate: its digest names no algorithm integral knows\n";
    else
      text += fmt::format("  boot_aggregate {} from {}: {}\n    logged    {}\n    computed  {}\n",
                          hash_alg_name(*c.alg), escape_terminal(o.boot_log),
                          c.ok() ? "match (" + c.matched + ")" : std::string("MISMATCH"), c.logged,
                          c.computed);
  }

  j["result"] = ok ? "match" : "mismatch";
  text += ok ? "verify: OK\n" : "verify: MISMATCH\n";
  emit("", o.json ? dump_json(j, 2) + "\n" : text);
  return ok ? 0 : static_cast<int>(ExitCode::kMismatch);
}

// verify --log: the log against the TPM's PCRs and/or against a prediction.
int verify_log(const VerifyOpts& o) {
  auto format = parse_log_format(o.format);
  if (!format) throw_usage(fmt::format("unknown log format '{}'", o.format));
  std::optional<PcrSelection> select;
  if (!o.select.empty()) select = PcrSelection::parse(o.select);
  if (*format == LogFormat::kIma ||
      (*format == LogFormat::kAuto &&
       (!o.ima_bank.empty() || sniff_log_file(o.log) == LogFormat::kIma)))
    return verify_ima(o, select);
  if (!o.boot_log.empty() || !o.padded.empty() || !o.ima_bank.empty())
    throw_usage("--boot-log, --ima-padded and --ima-bank apply to IMA lists");
  EventLog log = load_event_log(o.log, *format);
  const Chain original = log.chain();
  std::vector<std::pair<std::string, size_t>> applied;
  for (const auto& q : o.quirks)
    applied.emplace_back(q, apply_quirk(q, log.tcg.chain, log.banks()));

  std::optional<PcrValues> observed;
  std::string observed_name;
  if (!o.pcrs.empty()) {
    observed = parse_pcr_yaml(read_text_file(o.pcrs), o.pcrs);
    observed_name = o.pcrs;
  } else if (log.pcrs) {
    observed = log.pcrs;
    observed_name = o.log + " (PCRs stored with the log)";
  }
  if (!observed && o.expect.empty() && !o.check_digests)
    throw_usage(
        "verify --log needs --pcrs, --expect, --check-digests, or a log that carries PCR values");

  nlohmann::ordered_json j;
  std::string text;
  bool ok = true;
  j["log"] = o.log;
  j["format"] = log.format_name();

  // 0. Event data against the digests (only they are bound by the TPM).
  if (o.check_digests) {
    DigestCheckReport dc = check_event_digests(log.chain(), o.quirks);
    ok = ok && dc.ok();
    auto& jd = j["digests"];
    jd["checked"] = dc.checked;
    jd["result"] = dc.ok() ? "match" : "mismatch";
    jd["quirks_needed"] = dc.quirks_needed();
    auto& jm = jd["mismatches"] = nlohmann::ordered_json::array();
    text += fmt::format("log {}: {} event digests recomputed from their data\n",
                        escape_terminal(o.log), dc.checked);
    for (const auto& f : dc.mismatches) {
      const Event& e = log.chain().events[f.index];
      jm.push_back({{"index", f.index},
                    {"pcr", e.pcr},
                    {"type", e.type_name()},
                    {"bank", hash_alg_name(f.alg)},
                    {"rule", f.rule},
                    {"logged", f.logged},
                    {"computed", f.computed}});
      if (jm.size() <= 10)
        text += fmt::format(
            "  #{} PCR {} {} \"{}\": {} digest is not {}\n    logged    {}\n    computed  {}\n",
            f.index, e.pcr, e.type_name(), escape_terminal(e.description), hash_alg_name(f.alg),
            f.rule, f.logged, f.computed);
    }
    if (dc.mismatches.size() > 10)
      text += fmt::format("  ... {} digests differ in all\n", dc.mismatches.size());
    if (dc.ok()) text += "  OK: every checkable digest matches its data\n";
    for (const auto& q : dc.quirks_needed()) {
      size_t n = static_cast<size_t>(std::count_if(dc.by_quirk.begin(), dc.by_quirk.end(),
                                                   [&](const auto& f) { return f.quirk == q; }));
      text += fmt::format("  note: {} digest(s) match only with quirk {} applied\n", n, q);
    }
  }

  // 1. Replay against the PCRs read from the TPM. Every PCR the readout has in the log's banks
  // is checked: one the log never extends must still hold its reset value.
  if (observed) {
    PcrSet values = replay(log.chain(), log.banks());
    PcrSelection sel;
    if (select) {
      sel = *select;
    } else {
      for (const auto& [alg, m] : observed->banks)
        if (values.has_bank(alg))
          for (const auto& [pcr, d] : m) sel.add(alg, pcr);
    }
    for (const auto& b : sel.banks())
      if (!values.has_bank(b.alg))
        throw_usage(fmt::format("bank {} is not in the log", hash_alg_name(b.alg)));
    if (sel.empty()) throw_bad_input("has none of the banks the log carries", o.pcrs);
    ValueComparison cmp = compare_values(log.chain(), values, *observed, sel);
    // Which quirks the match depends on: the same check without them.
    std::vector<std::string> needed;
    if (cmp.ok() && !applied.empty()) {
      PcrSet plain = replay(original, log.banks());
      if (!compare_values(original, plain, *observed, sel).ok())
        for (const auto& [q, n] : applied)
          if (n) needed.push_back(q);
    }
    ok = ok && cmp.ok();
    auto& jv = j["pcrs"];
    jv["source"] = observed_name;
    jv["result"] = cmp.ok() ? "match" : "mismatch";
    jv["quirks_needed"] = needed;
    auto& checks = jv["checks"] = nlohmann::ordered_json::array();
    text += fmt::format("log {} ({}) replayed against {}:\n", escape_terminal(o.log),
                        log.format_name(), escape_terminal(observed_name));
    size_t bad = 0;
    for (const auto& c : cmp.checks) {
      checks.push_back({{"pcr", c.pcr},
                        {"bank", hash_alg_name(c.alg)},
                        {"match", c.match()},
                        {"replayed", c.expected.hex()},
                        {"observed", c.observed ? nlohmann::ordered_json(c.observed->hex())
                                                : nlohmann::ordered_json(nullptr)},
                        {"log_events", c.events}});
      if (c.match()) continue;
      ++bad;
      text += fmt::format("  PCR {} {}: MISMATCH\n    replayed  {}\n    observed  {}\n", c.pcr,
                          hash_alg_name(c.alg), c.expected.hex(),
                          c.observed ? c.observed->hex() : "(not in readout)");
      if (c.events.empty())
        text += "    the log never extends this PCR, so it should hold its reset value\n";
      else
        text += fmt::format("    fed by {} log event(s), the last #{} {} \"{}\"\n", c.events.size(),
                            c.events.back(), log.chain().events[c.events.back()].type_name(),
                            escape_terminal(log.chain().events[c.events.back()].description));
    }
    if (bad == 0) text += fmt::format("  OK: {} PCR values match\n", cmp.checks.size());
    for (const auto& q : needed)
      text += fmt::format("  note: matches only with quirk {} applied\n", q);
  }

  // 2. The log's events against the predicted events, per PCR and bank.
  if (!o.expect.empty()) {
    Prediction p = load_prediction(o.expect);
    std::vector<HashAlg> banks;
    for (HashAlg a : p.banks)
      if (std::find(log.banks().begin(), log.banks().end(), a) != log.banks().end())
        banks.push_back(a);
    if (banks.empty()) throw_bad_input("the prediction shares no bank with the log", o.expect);
    PcrSelection scope = select ? *select : touched_pcrs(p.chain, banks);
    ok = compare_with_prediction(p.chain, log.chain(), banks, scope, o, "log", "event", "events", j,
                                 text) &&
         ok;
  }

  j["result"] = ok ? "match" : "mismatch";
  text += ok ? "verify: OK\n" : "verify: MISMATCH\n";
  emit("", o.json ? dump_json(j, 2) + "\n" : text);
  return ok ? 0 : static_cast<int>(ExitCode::kMismatch);
}

Command add_verify(CLI::App& root) {
  auto* app = root.add_subcommand("verify", "Check observed PCR values against a prediction");
  auto o = std::make_shared<VerifyOpts>();
  app->add_option("--expect", o->expect, "Boot description (.toml) or prediction manifest (.json)");
  app->add_option("--pcrs", o->pcrs, "PCR values as written by tpm2_pcrread (YAML)");
  app->add_option("--log", o->log,
                  "Event log of the boot (TCG binary, or go-attestation JSON dump whose PCRs are "
                  "used when --pcrs is not given)");
  app->add_option("--format", o->format, "Log format: auto, tcg, go-attestation, ima or txt-stat")
      ->capture_default_str();
  app->add_option("--quirk", o->quirks,
                  "Apply a named firmware quirk rule to the log (see 'eventlog quirks')");
  app->add_option("--select", o->select,
                  "PCRs to check, tpm2-tools syntax (default: every PCR the prediction extends, "
                  "in the banks the readout has)");
  app->add_flag("--check-digests", o->check_digests,
                "Recompute event digests from the event data where the rule is known (separators, "
                "actions, Secure Boot variables, GPT, grub commands)");
  app->add_option("--boot-log", o->boot_log,
                  "IMA list: the firmware event log of the same boot, whose replayed PCRs must "
                  "give the list's boot_aggregate");
  app->add_option("--ima-padded", o->padded,
                  "IMA list: banks the kernel extended with the SHA-1 template hash zero-padded "
                  "(a hash the kernel lacked, or every bank before Linux 5.8)");
  app->add_option("--ima-bank", o->ima_bank,
                  "IMA list: the bank of its template hashes (a per-bank list such as "
                  "binary_runtime_measurements_sha256); default: the file name's suffix, else "
                  "the entries' layout");
  app->add_flag("--json", o->json, "Machine-readable report");

  return {app, [o] {
            if (!o->log.empty()) return verify_log(*o);
            if (o->expect.empty() || o->pcrs.empty())
              throw_usage("verify needs --expect and --pcrs (or --log)");
            if (!o->quirks.empty()) throw_usage("--quirk applies to --log");
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
              text = dump_json(j, 2) + "\n";
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
                                    escape_terminal(o->pcrs));
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
