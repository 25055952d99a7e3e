#include "cli/verify_render.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "integral/util/json_io.h"
#include "integral/util/text.h"

namespace integral::cli {

namespace {

using Json = nlohmann::ordered_json;

Json hex_or_null(const std::optional<Digest>& d) {
  return d ? Json(d->hex()) : Json(nullptr);
}

Json event_json(const Event& e, std::optional<size_t> index, HashAlg alg) {
  if (!index) return nullptr;
  const Digest* d = e.digest(alg);
  Json j = {{"index", *index},
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

// The first divergence per PCR and bank, into j["prediction"] and the text. `what` names the
// observed side ("log" / "list"), `unit`/`units` its records ("event" / "entry").
void render_divergences(const ChainVerification& v, const VerifyOpts& o, const char* what,
                        const char* unit, const char* units, Json& j, std::string& text) {
  auto& jc = j["prediction"];
  jc["source"] = o.expect;
  jc["result"] = v.ok() ? "match" : "mismatch";
  auto& jd = jc["divergences"] = Json::array();
  text += fmt::format("{} {} compared with prediction {} ({}):\n", what, escape_terminal(o.log),
                      escape_terminal(o.expect), v.scope.to_string());
  for (const auto& d : v.divergences) {
    jd.push_back(
        {{"pcr", d.pcr},
         {"bank", hash_alg_name(d.alg)},
         {"position", d.position},
         {"log",
          d.actual ? event_json(v.observed.events[*d.actual], d.actual, d.alg) : Json(nullptr)},
         {"predicted", d.expected ? event_json(v.predicted.events[*d.expected], d.expected, d.alg)
                                  : Json(nullptr)}});
    text += fmt::format("  PCR {} {}: first difference at {} {} of this PCR\n", d.pcr,
                        hash_alg_name(d.alg), unit, d.position + 1);
    text += event_line(what, v.observed, d.actual, d.alg);
    text += event_line("predicted", v.predicted, d.expected, d.alg);
  }
  if (v.ok()) text += fmt::format("  OK: the {}'s {} equal the predicted ones\n", what, units);
}

std::string finish(Json& j, std::string& text, bool ok, const VerifyOpts& o) {
  j["result"] = ok ? "match" : "mismatch";
  text += ok ? "verify: OK\n" : "verify: MISMATCH\n";
  return o.json ? dump_json(j, 2) + "\n" : text;
}

void render_digests(const DigestCheckReport& dc, const Chain& chain, const VerifyOpts& o, Json& j,
                    std::string& text) {
  auto& jd = j["digests"];
  jd["checked"] = dc.checked;
  jd["result"] = dc.ok() ? "match" : "mismatch";
  jd["quirks_needed"] = dc.quirks_needed();
  auto& jm = jd["mismatches"] = Json::array();
  text += fmt::format("log {}: {} event digests recomputed from their data\n",
                      escape_terminal(o.log), dc.checked);
  for (const auto& f : dc.mismatches) {
    const Event& e = chain.events[f.index];
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

void render_log_values(const LogValueVerification& v, const EventLog& log, const VerifyOpts& o,
                       Json& j, std::string& text) {
  auto& jv = j["pcrs"];
  jv["source"] = v.source;
  jv["result"] = v.cmp.ok() ? "match" : "mismatch";
  jv["quirks_needed"] = v.quirks_needed;
  auto& checks = jv["checks"] = Json::array();
  text += fmt::format("log {} ({}) replayed against {}:\n", escape_terminal(o.log),
                      log.format_name(), escape_terminal(v.source));
  size_t bad = 0;
  for (const auto& c : v.cmp.checks) {
    checks.push_back({{"pcr", c.pcr},
                      {"bank", hash_alg_name(c.alg)},
                      {"match", c.match()},
                      {"replayed", c.expected.hex()},
                      {"observed", hex_or_null(c.observed)},
                      {"log_events", c.events}});
    if (c.match()) continue;
    ++bad;
    text += fmt::format("  PCR {} {}: MISMATCH\n    replayed  {}\n    observed  {}\n", c.pcr,
                        hash_alg_name(c.alg), c.expected.hex(),
                        c.observed ? c.observed->hex() : "(not in readout)");
    if (c.events.empty()) {
      text += "    the log never extends this PCR, so it should hold its reset value\n";
    } else {
      const Event& last = log.chain().events[c.events.back()];
      text += fmt::format("    fed by {} log event(s), the last #{} {} \"{}\"\n", c.events.size(),
                          c.events.back(), last.type_name(), escape_terminal(last.description));
    }
  }
  if (bad == 0) text += fmt::format("  OK: {} PCR values match\n", v.cmp.checks.size());
  for (const auto& q : v.quirks_needed)
    text += fmt::format("  note: matches only with quirk {} applied\n", q);
}

}  // namespace

std::string render_log_verification(const LogVerification& v, const VerifyOpts& o) {
  Json j;
  std::string text;
  j["log"] = o.log;
  j["format"] = v.log.format_name();
  if (v.digests) render_digests(*v.digests, v.log.chain(), o, j, text);
  if (v.pcrs) render_log_values(*v.pcrs, v.log, o, j, text);
  if (v.prediction) render_divergences(*v.prediction, o, "log", "event", "events", j, text);
  return finish(j, text, v.ok(), o);
}

std::string render_ima_verification(const ImaVerification& v, const VerifyOpts& o) {
  const ImaReplay& r = v.replay;
  Json j;
  j["log"] = o.log;
  j["entries"] = r.entries;
  j["violations"] = r.violations;
  j["template_hash_mismatches"] = r.mismatch_count;
  j["padded_banks"] = o.padded;
  j["list_bank"] = hash_alg_name(v.list_bank);
  std::string text =
      fmt::format("IMA list {}: {} entries, {} violation(s), {} template hashes\n",
                  escape_terminal(o.log), r.entries, r.violations, hash_alg_name(v.list_bank));
  for (const auto& m : r.mismatches)
    text += fmt::format("  entry at {} {} ({}): template hash {} does not match its fields ({})\n",
                        v.format == ImaFormat::kAscii ? "line" : "offset", m.where,
                        escape_terminal(m.name), m.logged, m.computed);
  if (v.pcrs) {
    auto& checks = j["checks"] = Json::array();
    for (const auto& c : v.pcrs->checks) {
      checks.push_back({{"pcr", c.pcr},
                        {"bank", hash_alg_name(c.alg)},
                        {"match", c.match()},
                        {"replayed", c.expected.hex()},
                        {"observed", hex_or_null(c.observed)}});
      text += fmt::format("  PCR {} {}: {}\n    replayed  {}\n    observed  {}\n", c.pcr,
                          hash_alg_name(c.alg), c.match() ? "match" : "MISMATCH", c.expected.hex(),
                          c.observed ? c.observed->hex() : "(not in readout)");
    }
  }
  if (v.prediction) render_divergences(*v.prediction, o, "list", "entry", "entries", j, text);
  if (v.boot_aggregate) {
    const BootAggregateCheck& c = v.boot_aggregate->check;
    auto& jb = j["boot_aggregate"];
    jb["boot_log"] = o.boot_log;
    jb["entry"] = v.boot_aggregate->entry;
    jb["bank"] = c.alg ? Json(hash_alg_name(*c.alg)) : nullptr;
    jb["logged"] = c.logged;
    jb["computed"] = c.computed;
    jb["match"] = c.ok();
    jb["variant"] = c.matched;
    if (!c.is_boot_aggregate)
      text += fmt::format("  first entry is '{}', not boot_aggregate\n",
                          escape_terminal(v.boot_aggregate->entry));
    else if (!c.alg)
      text += "  boot_aggregate: its digest names no algorithm integral knows\n";
    else
      text += fmt::format("  boot_aggregate {} from {}: {}\n    logged    {}\n    computed  {}\n",
                          hash_alg_name(*c.alg), escape_terminal(o.boot_log),
                          c.ok() ? "match (" + c.matched + ")" : std::string("MISMATCH"), c.logged,
                          c.computed);
  }
  return finish(j, text, v.ok(), o);
}

// verify --log IMA-LIST --ima-policy: each file the policy does not vouch for, named.
std::string render_ima_policy_check(const ImaPolicyCheck& c, const VerifyOpts& o) {
  if (o.json) {
    nlohmann::ordered_json j{
        {"result", c.ok() ? "match" : "mismatch"}, {"policy", o.ima_policy}, {"files", c.files}};
    auto& f = j["findings"] = nlohmann::ordered_json::array();
    for (const auto& x : c.findings)
      f.push_back(
          {{"where", x.where}, {"name", x.name}, {"digest", x.digest}, {"problem", x.problem}});
    return dump_json(j, 2) + "\n";
  }
  std::string text;
  for (const auto& x : c.findings)
    text += fmt::format("{} {}: {} ({})\n", escape_terminal(o.log), x.where,
                        escape_terminal(x.name), x.problem);
  text += c.ok() ? fmt::format("verify: OK: all {} measured files are in {} with their content\n",
                               c.files, escape_terminal(o.ima_policy))
                 : fmt::format("verify: MISMATCH: {} of {} measured files are not as {} has them\n",
                               c.findings.size(), c.files, escape_terminal(o.ima_policy));
  return text;
}

}  // namespace integral::cli
