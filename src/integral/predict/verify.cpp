#include "integral/predict/verify.h"

#include <fmt/format.h>

#include <algorithm>

#include "integral/chain/replay.h"
#include "integral/eventlog/quirks.h"
#include "integral/tpm/pcr_yaml.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral {

namespace {

bool contains(const std::vector<HashAlg>& v, HashAlg a) {
  return std::find(v.begin(), v.end(), a) != v.end();
}

ChainVerification compare_with_prediction(Chain predicted, Chain observed,
                                          const std::vector<HashAlg>& banks, PcrSelection scope) {
  ChainVerification v{std::move(predicted), std::move(observed), std::move(scope), {}};
  for (const auto& d : compare_chains(v.predicted, v.observed, banks))
    if (v.scope.contains(d.alg, d.pcr)) v.divergences.push_back(d);
  return v;
}

}  // namespace

PcrVerification verify_pcrs(const Prediction& p, const PcrValues& observed,
                            const std::optional<PcrSelection>& select,
                            const std::string& observed_source) {
  const PcrSet values = p.values();
  PcrSelection sel;
  PcrVerification out;
  if (select) {
    sel = *select;
    for (const auto& b : sel.banks())
      if (!values.has_bank(b.alg))
        throw_usage(
            fmt::format("--select names bank {} that the prediction lacks", hash_alg_name(b.alg)));
  } else {
    const PcrSelection touched = touched_pcrs(p.chain, p.banks);
    for (const auto& b : touched.banks()) {
      bool read = false;
      for (const auto& [alg, m] : observed.banks) read = read || alg == b.alg;
      if (!read) {
        out.skipped_banks.emplace_back(hash_alg_name(b.alg));
        continue;
      }
      for (unsigned i = 0; i < kPcrCount; ++i)
        if (b.pcrs.test(i)) sel.add(b.alg, i);
    }
    if (sel.empty())
      throw_bad_input("has none of the banks the prediction extends", observed_source);
  }
  out.cmp = compare_values(p.chain, values, observed, sel);
  return out;
}

bool LogVerification::ok() const {
  return (!digests || digests->ok()) && (!pcrs || pcrs->cmp.ok()) &&
         (!prediction || prediction->ok());
}

LogVerification verify_log(const LogVerifyRequest& r) {
  LogVerification out{load_event_log(r.log, r.format), {}, {}, {}};
  EventLog& log = out.log;
  const Chain original = log.chain();
  std::vector<std::pair<std::string, size_t>> applied;
  for (const auto& q : r.quirks)
    applied.emplace_back(q, apply_quirk(q, log.tcg.chain, log.banks()));

  std::optional<PcrValues> observed;
  std::string observed_name;
  if (!r.pcrs.empty()) {
    observed = parse_pcr_yaml(read_text_file(r.pcrs), r.pcrs);
    observed_name = r.pcrs;
  } else if (log.pcrs) {
    observed = log.pcrs;
    observed_name = r.log + " (PCRs stored with the log)";
  }
  if (!observed && r.expect.empty() && !r.check_digests)
    throw_usage(
        "verify --log needs --pcrs, --expect, --check-digests, or a log that carries PCR values");

  // 0. Event data against the digests (only they are bound by the TPM).
  if (r.check_digests) out.digests = check_event_digests(log.chain(), r.quirks);

  // 1. Replay against the PCRs read from the TPM. Every PCR the readout has in the log's banks
  // is checked: one the log never extends must still hold its reset value.
  if (observed) {
    PcrSet values = replay(log.chain(), log.banks());
    PcrSelection sel;
    if (r.select) {
      sel = *r.select;
    } else {
      for (const auto& [alg, m] : observed->banks)
        if (values.has_bank(alg))
          for (const auto& [pcr, d] : m) sel.add(alg, pcr);
    }
    for (const auto& b : sel.banks())
      if (!values.has_bank(b.alg))
        throw_usage(fmt::format("bank {} is not in the log", hash_alg_name(b.alg)));
    if (sel.empty()) throw_bad_input("has none of the banks the log carries", r.pcrs);
    LogValueVerification v{observed_name, compare_values(log.chain(), values, *observed, sel), {}};
    // Which quirks the match depends on: the same check without them.
    if (v.cmp.ok() && !applied.empty()) {
      PcrSet plain = replay(original, log.banks());
      if (!compare_values(original, plain, *observed, sel).ok())
        for (const auto& [q, n] : applied)
          if (n) v.quirks_needed.push_back(q);
    }
    out.pcrs = std::move(v);
  }

  // 2. The log's events against the predicted events, per PCR and bank.
  if (!r.expect.empty()) {
    Prediction p = load_prediction(r.expect);
    std::vector<HashAlg> banks;
    for (HashAlg a : p.banks)
      if (contains(log.banks(), a)) banks.push_back(a);
    if (banks.empty()) throw_bad_input("the prediction shares no bank with the log", r.expect);
    PcrSelection scope = r.select ? *r.select : touched_pcrs(p.chain, banks);
    out.prediction =
        compare_with_prediction(std::move(p.chain), log.chain(), banks, std::move(scope));
  }
  return out;
}

Chain ima_chain(const std::string& path, std::optional<HashAlg> list_bank,
                const std::vector<HashAlg>& banks, const std::vector<HashAlg>& padded) {
  ImaReader reader(path, std::nullopt, list_bank);
  Chain chain;
  ImaEntry e;
  while (reader.next(e)) {
    Event ev;
    ev.pcr = e.pcr;
    for (HashAlg alg : banks)
      ev.digests.push_back(ima_extend_value(
          e, alg, contains(padded, alg) ? ImaBankRule::kPaddedSha1 : ImaBankRule::kNative));
    ev.description = fmt::format("{} {} {}", e.template_name, e.file_digest, e.name);
    ev.provenance = Provenance{
        reader.format() == ImaFormat::kAscii ? fmt::format("{} line {}", path, e.where) : path,
        {},
        reader.format() == ImaFormat::kAscii ? std::nullopt : std::optional(e.where)};
    chain.events.push_back(std::move(ev));
  }
  return chain;
}

bool ImaVerification::ok() const {
  return replay.mismatch_count == 0 && (!pcrs || pcrs->ok()) && (!prediction || prediction->ok()) &&
         (!boot_aggregate || boot_aggregate->check.ok());
}

ImaVerification verify_ima(const ImaVerifyRequest& r) {
  std::optional<PcrValues> observed;
  std::optional<Prediction> prediction;
  std::vector<HashAlg> banks;
  auto add_bank = [&](HashAlg alg) {
    if (hash_alg_available(alg) && !contains(banks, alg)) banks.push_back(alg);
  };
  if (!r.pcrs.empty()) {
    observed = parse_pcr_yaml(read_text_file(r.pcrs), r.pcrs);
    for (const auto& [alg, m] : observed->banks) add_bank(alg);
  }
  if (!r.expect.empty()) {
    prediction = load_prediction(r.expect);
    for (HashAlg alg : prediction->banks) add_bank(alg);
  }
  if (banks.empty()) banks = {HashAlg::kSha1, HashAlg::kSha256};
  ImaReader reader(r.log, std::nullopt, r.list_bank);
  ImaReplay replayed = replay_ima(reader, banks, r.padded);
  ImaVerification out{reader.format(), reader.bank(), std::move(replayed), {}, {}, {}};
  const ImaReplay& rp = out.replay;

  // 1. The replay against the PCRs read from the TPM.
  if (observed) {
    PcrSelection sel;
    if (r.select) {
      sel = *r.select;
    } else {
      for (HashAlg alg : banks)
        for (unsigned pcr : rp.pcrs)
          if (observed->find(alg, pcr)) sel.add(alg, pcr);
    }
    for (const auto& b : sel.banks())
      if (!rp.values.has_bank(b.alg))
        throw_usage(fmt::format("bank {} is not in {}", hash_alg_name(b.alg), r.pcrs));
    if (sel.empty()) throw_bad_input("has none of the PCRs the IMA list extends", r.pcrs);
    // The list is no chain of predicted events: the checks name no events.
    out.pcrs = compare_values(Chain{}, rp.values, *observed, sel);
  }

  // 2. The list's entries against the predicted events of the PCRs the list extends.
  if (prediction) {
    std::vector<HashAlg> pbanks;
    for (HashAlg a : prediction->banks)
      if (contains(banks, a)) pbanks.push_back(a);
    Chain list = ima_chain(r.log, r.list_bank, pbanks, r.padded);
    PcrSelection scope;
    if (r.select) {
      scope = *r.select;
    } else {
      for (HashAlg alg : pbanks)
        for (unsigned pcr : rp.pcrs) scope.add(alg, pcr);
    }
    out.prediction = compare_with_prediction(std::move(prediction->chain), std::move(list), pbanks,
                                             std::move(scope));
  }

  // 3. The first entry against the boot_aggregate of the firmware log's replay.
  if (!r.boot_log.empty()) {
    EventLog boot = load_event_log(r.boot_log, LogFormat::kAuto);
    PcrSet values = replay(boot.chain(), boot.banks());
    ImaReader first_reader(r.log, std::nullopt, r.list_bank);
    ImaEntry first;
    if (!first_reader.next(first)) throw_bad_input("the IMA list is empty", r.log);
    out.boot_aggregate = BootAggregateVerification{first.name, check_boot_aggregate(first, values)};
  }
  return out;
}

}  // namespace integral
