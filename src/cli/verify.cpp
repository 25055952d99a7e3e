// integral verify --expect (BOOT.toml | prediction.json) --pcrs PCRREAD.yaml
// integral verify --log LOG [--pcrs PCRREAD.yaml] [--expect PREDICTION] [--check-digests]
// integral verify --log IMA-LIST [--pcrs ...] [--expect ...] [--boot-log FIRMWARE-LOG]
// integral verify --bundle FILE [--signature SIG] [--require-key PUB.pem]...
// Exit 0 when every checked PCR equals the prediction, 1 on a mismatch (naming the first
// differing PCR, its bank and the predicted events that fed it). With --log, the log's replay
// is checked against the PCRs read from the TPM, and its events against the prediction's,
// naming per PCR the first event where they part.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/log_options.h"
#include "cli/render.h"
#include "cli/verify_render.h"
#include "integral/eventlog/ima_log.h"
#include "integral/predict/verify.h"
#include "integral/reference/bundle_signature.h"
#include "integral/reference/ima_policy.h"
#include "integral/tpm/pcr_yaml.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/json_io.h"
#include "integral/util/text.h"

namespace integral::cli {

namespace {

// verify --expect --pcrs: a table of the checks and the events behind the first mismatch.
std::string render_pcr_verification(const PcrVerification& v, const Chain& predicted,
                                    const VerifyOpts& o) {
  const ValueComparison& cmp = v.cmp;
  if (o.json) {
    nlohmann::ordered_json j;
    j["result"] = cmp.ok() ? "match" : "mismatch";
    j["expect"] = o.expect;
    j["pcrs"] = o.pcrs;
    j["skipped_banks"] = v.skipped_banks;
    auto& checks = j["checks"] = nlohmann::ordered_json::array();
    for (const auto& c : cmp.checks) {
      nlohmann::ordered_json jc;
      jc["pcr"] = c.pcr;
      jc["bank"] = hash_alg_name(c.alg);
      jc["match"] = c.match();
      jc["expected"] = c.expected.hex();
      jc["observed"] =
          c.observed ? nlohmann::ordered_json(c.observed->hex()) : nlohmann::ordered_json(nullptr);
      auto& evs = jc["events"] = nlohmann::ordered_json::array();
      for (size_t i : c.events) {
        const Event& e = predicted.events[i];
        evs.push_back({{"index", i},
                       {"description", e.description},
                       {"artifact", e.provenance.artifact},
                       {"rule", e.provenance.rule}});
      }
      checks.push_back(jc);
    }
    return dump_json(j, 2) + "\n";
  }
  std::string text = "PCR  bank     verdict   predicted / observed\n";
  for (const auto& c : cmp.checks)
    text += fmt::format("{:>3}  {:<7}  {:<8}  {}\n{:>24}{}\n", c.pcr, hash_alg_name(c.alg),
                        c.match() ? "match" : "MISMATCH", c.expected.hex(), "",
                        c.observed ? c.observed->hex() : "(not in readout)");
  for (const auto& s : v.skipped_banks)
    text += fmt::format("note: bank {} is predicted but not in {}; not checked\n", s,
                        escape_terminal(o.pcrs));
  if (const PcrCheck* first = cmp.first_mismatch()) {
    text += fmt::format(
        "verify: MISMATCH: first difference in PCR {} bank {}; the prediction fed it {} "
        "event(s):\n",
        first->pcr, hash_alg_name(first->alg), first->events.size());
    for (size_t i : first->events) text += render_event(predicted.events[i], i);
    if (first->events.empty()) text += "  (none: the prediction expects the reset value)\n";
  } else {
    text += fmt::format("verify: OK: {} PCR values match\n", cmp.checks.size());
  }
  return text;
}

int exit_status(bool ok) {
  return ok ? 0 : static_cast<int>(ExitCode::kMismatch);
}

// verify --bundle: the detached signature over the file's bytes, and the key it names. `alone`:
// nothing else is verified, so success is reported too (else only a refusal is).
int verify_bundle_file(const VerifyOpts& o, bool alone) {
  const std::string sig_path = o.signature.empty() ? o.bundle + ".sig" : o.signature;
  std::vector<PublicKey> required;
  for (const auto& k : o.require_keys) required.push_back(PublicKey::load_pem(k));
  const std::string bytes = read_text_file(o.bundle, 1u << 30);
  const BundleCheck c =
      verify_bundle({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()},
                    read_text_file(sig_path, 4u << 20), sig_path, required);
  if (c.ok && !alone) return 0;
  if (o.json) {
    nlohmann::ordered_json j{{"result", c.ok ? "match" : "mismatch"},
                             {"bundle", o.bundle},
                             {"signature", sig_path},
                             {"key", c.key_id},
                             {"required_key", !required.empty()}};
    if (!c.ok) j["reason"] = c.reason;
    emit("", dump_json(j, 2) + "\n");
  } else if (c.ok) {
    emit("", fmt::format("verify: OK: {} is signed by key {}{}\n", escape_terminal(o.bundle),
                         c.key_id, required.empty() ? " (no key required)" : ", a required key"));
  } else {
    emit("", fmt::format("verify: REFUSED: {}: {}\n", escape_terminal(o.bundle), c.reason));
  }
  return exit_status(c.ok);
}

// verify --log IMA-LIST: the list's replay (template hashes checked) against the TPM's PCR 10
// in every bank the readout has (--pcrs), against a prediction (--expect), and its first
// entry against the boot_aggregate of a firmware log's PCRs (--boot-log).
int verify_ima_list(const VerifyOpts& o, const std::optional<PcrSelection>& select) {
  if (o.pcrs.empty() && o.expect.empty() && o.boot_log.empty() && o.ima_policy.empty())
    throw_usage("an IMA list is verified with --pcrs, --expect, --boot-log and/or --ima-policy");
  if (!o.quirks.empty()) throw_usage("--quirk applies to firmware logs, not IMA lists");
  if (!o.ima_policy.empty()) {
    ImaReader list(o.log, {}, ima_bank_option(o.ima_bank));
    const ImaPolicyCheck c = check_ima_policy(list, read_text_file(o.ima_policy), o.ima_policy);
    emit("", render_ima_policy_check(c, o));
    if (!c.ok() || (o.pcrs.empty() && o.expect.empty() && o.boot_log.empty()))
      return exit_status(c.ok());
  }
  ImaVerifyRequest r;
  r.padded = parse_hash_alg_list(o.padded);
  r.list_bank = ima_bank_option(o.ima_bank);
  r.log = o.log;
  r.select = select;
  r.pcrs = o.pcrs;
  r.expect = o.expect;
  r.boot_log = o.boot_log;
  ImaVerification v = verify_ima(r);
  emit("", render_ima_verification(v, o));
  return exit_status(v.ok());
}

// verify --log: the log against the TPM's PCRs and/or against a prediction.
int verify_log_file(const VerifyOpts& o) {
  const LogFormat format = log_format_option(o.format);
  std::optional<PcrSelection> select;
  if (!o.select.empty()) select = PcrSelection::parse(o.select);
  if (is_ima_list(format, o.ima_bank, o.log)) return verify_ima_list(o, select);
  if (!o.boot_log.empty() || !o.padded.empty() || !o.ima_bank.empty())
    throw_usage("--boot-log, --ima-padded and --ima-bank apply to IMA lists");
  LogVerification v =
      verify_log({o.log, format, o.quirks, select, o.pcrs, o.expect, o.check_digests});
  emit("", render_log_verification(v, o));
  return exit_status(v.ok());
}

Command add_verify(CLI::App& root) {
  auto* app = root.add_subcommand("verify", "Check observed PCR values against a prediction");
  auto o = std::make_shared<VerifyOpts>();
  app->add_option("--expect", o->expect, "Boot description (.toml) or prediction manifest (.json)");
  app->add_option("--pcrs", o->pcrs, "PCR values as written by tpm2_pcrread (YAML)");
  app->add_option("--log", o->log,
                  "Event log of the boot (TCG binary, or go-attestation JSON dump whose PCRs are "
                  "used when --pcrs is not given)");
  add_format_option(app, o->format);
  add_quirk_option(app, o->quirks);
  app->add_option("--select", o->select,
                  "PCRs to check, tpm2-tools syntax (default: every PCR the prediction extends, "
                  "in the banks the readout has)");
  app->add_flag("--check-digests", o->check_digests,
                "Recompute event digests from the event data where the rule is known (separators, "
                "actions, Secure Boot variables, GPT, grub commands)");
  app->add_option("--boot-log", o->boot_log,
                  "IMA list: the firmware event log of the same boot, whose replayed PCRs must "
                  "give the list's boot_aggregate");
  app->add_option("--ima-policy", o->ima_policy,
                  "IMA list: a runtime policy (keylime format, as mkfs --ima-policy writes it); "
                  "every measured file must be in it with its content");
  add_ima_padded_option(app, o->padded);
  add_ima_bank_option(app, o->ima_bank);
  app->add_option("--bundle", o->bundle,
                  "A signed reference-values bundle or prediction: check its signature");
  app->add_option("--signature", o->signature, "The bundle's signature (default: BUNDLE.sig)");
  app->add_option("--require-key", o->require_keys,
                  "Public key (PEM) the bundle must be signed by (repeatable: any of them)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app->add_flag("--json", o->json, "Machine-readable report");

  return {app, [o] {
            if (!o->bundle.empty()) {
              // The bundle first: its values are trusted only when its signature holds.
              const bool alone = o->log.empty() && o->pcrs.empty();
              const int rc = verify_bundle_file(*o, alone);
              if (rc != 0 || alone) return rc;
              if (o->expect.empty())
                throw_usage("with --bundle, --expect names a prediction in it");
              std::string reason;
              if (bundle_boot_of(read_text_file(o->bundle, 1u << 30), o->bundle, o->expect, reason)
                      .empty()) {
                emit("",
                     fmt::format("verify: REFUSED: {}: {}\n", escape_terminal(o->expect), reason));
                return exit_status(false);
              }
            }
            if (o->bundle.empty() && (!o->signature.empty() || !o->require_keys.empty()))
              throw_usage("--signature and --require-key apply to --bundle");
            if (!o->log.empty()) return verify_log_file(*o);
            if (o->expect.empty() || o->pcrs.empty())
              throw_usage("verify needs --expect and --pcrs (or --log)");
            if (!o->quirks.empty()) throw_usage("--quirk applies to --log");
            Prediction p = load_prediction(o->expect);
            PcrValues observed = parse_pcr_yaml(read_text_file(o->pcrs), o->pcrs);
            std::optional<PcrSelection> select;
            if (!o->select.empty()) select = PcrSelection::parse(o->select);
            PcrVerification v = verify_pcrs(p, observed, select, o->pcrs);
            emit("", render_pcr_verification(v, p.chain, *o));
            return exit_status(v.ok());
          }};
}

const CommandRegistrar registered(20, add_verify);

}  // namespace

}  // namespace integral::cli
