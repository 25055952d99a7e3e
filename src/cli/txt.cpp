// integral txt ... : Intel TXT / tboot artifacts: MLE and module hashes, SINIT ACM decoding and
// its HASH_START measurement, tboot policies.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>

#include "cli/commands.h"
#include "integral/crypto/digest.h"
#include "integral/formats/lcp_policy.h"
#include "integral/formats/mapped_input.h"
#include "integral/formats/tb_policy.h"
#include "integral/formats/tboot_mle.h"
#include "integral/formats/txt_acm.h"
#include "integral/formats/txt_heap.h"
#include "integral/txt/profile.h"
#include "integral/txt/txt_log.h"
#include "integral/txt/txt_stat.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/hex.h"
#include "integral/util/json_io.h"
#include "integral/util/text.h"

namespace integral::cli {

namespace {

// --alg: at least one algorithm, each one the linked OpenSSL computes.
std::vector<HashAlg> parse_algs(const std::string& list) {
  std::vector<HashAlg> algs = parse_hash_alg_list(list);
  if (algs.empty()) throw_usage("--alg names no hash algorithm");
  for (HashAlg alg : algs)
    if (!hash_alg_available(alg))
      throw Error(ExitCode::kEnvironment, fmt::format("{} is not available", hash_alg_name(alg)));
  return algs;
}

std::string digests_text(const std::vector<Digest>& ds, bool named) {
  std::string out;
  for (const auto& d : ds) {
    out += named ? fmt::format("{}  {}\n", hash_alg_name(d.alg()), d.hex()) : d.hex() + "\n";
  }
  return out;
}

nlohmann::ordered_json digests_json(const std::vector<Digest>& ds) {
  nlohmann::ordered_json j;
  for (const auto& d : ds) j[std::string(hash_alg_name(d.alg()))] = d.hex();
  return j;
}

// integral txt log: decode and replay any TXT log; a launch known not to match its TPM is
// reported (exit 1), not hidden.
int run_txt_log(const std::vector<std::string>& files, bool json) {
  std::vector<std::filesystem::path> paths(files.begin(), files.end());
  auto loaded = txt::load_txt_log(paths);
  const auto& l = loaded.log;
  auto pcrs = txt::replay_txt_log(l);
  nlohmann::ordered_json j;
  j["file"] = files.size() == 1 ? nlohmann::ordered_json(files[0]) : nlohmann::ordered_json(files);
  j["format"] = std::string(txt::txt_log_format_name(l.format));
  auto& ev = j["events"] = nlohmann::ordered_json::array();
  std::string t;
  for (const auto& e : l.events) {
    nlohmann::ordered_json x;
    if (e.line) x["line"] = e.line;
    if (e.offset) x["offset"] = *e.offset;
    x["pcr"] = e.pcr;
    x["type"] = fmt::format("{:#x}", e.type);
    x["name"] = std::string(txt::txt_event_type_name(e.type));
    x["digests"] = digests_json(e.digests);
    x["data"] = to_hex(e.data);
    ev.push_back(x);
    t += fmt::format("pcr {:>3}  {:#06x} {:<22}", e.pcr, e.type, txt::txt_event_type_name(e.type));
    for (const auto& d : e.digests) t += fmt::format(" {}:{}", hash_alg_name(d.alg()), d.hex());
    t += "\n";
  }
  auto& pv = j["pcrs"];
  for (auto alg : pcrs.banks()) {
    for (unsigned i = 17; i <= 22; ++i) {
      pv[std::string(hash_alg_name(alg))][std::to_string(i)] = pcrs.get(alg, i).hex();
      t += fmt::format("{}:{}  {}\n", hash_alg_name(alg), i, pcrs.get(alg, i).hex());
    }
  }
  if (!loaded.notes.empty()) {
    j["notes"] = loaded.notes;
    for (const auto& n : loaded.notes) t += "note: " + escape_terminal(n) + "\n";
  }
  int rc = 0;
  if (auto k = txt::known_mismatch(l)) {
    j["known_mismatch"] = {{"pcrs", k->pcrs}, {"report", k->report}};
    std::string which;
    for (auto p : k->pcrs) which += (which.empty() ? "" : ", ") + std::to_string(p);
    t += fmt::format("MISMATCH (known): PCR {}: {}\n", which, escape_terminal(k->report));
    fmt::print(stderr, "integral: {}: known mismatch of PCR {}: {}\n", escape_terminal(files[0]),
               which, escape_terminal(k->report));
    rc = 1;
  }
  emit("", json ? dump_json(j, 2) + "\n" : t);
  return rc;
}

// integral txt heap: the TXT heap regions and their extended elements.
std::function<int()> add_txt_heap(CLI::App* app) {
  struct Opts {
    std::string file;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app->add_subcommand(
      "heap", "Decode a TXT heap: a binary image, or the heap printed by txt-stat / tboot");
  cmd->add_option("file", o->file, "Heap image, txt-stat output or tboot serial log")->required();
  cmd->add_flag("--json", o->json, "Machine-readable output");
  return [=] {
    if (!cmd->parsed()) return -1;
    auto h = formats::load_txt_heap(o->file);
    emit("", o->json ? dump_json(h.to_json(), 2) + "\n" : h.to_text());
    return 0;
  };
}

// integral txt lcp: an LCP policy (NV index contents) and/or its policy data file.
std::function<int()> add_txt_lcp(CLI::App* app) {
  struct Opts {
    std::string file;
    std::optional<std::string> data;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app->add_subcommand(
      "lcp", "Decode an LCP policy (v2 TPM 1.2 / v3 TPM 2.0) or an LCP policy data file");
  cmd->add_option("file", o->file, "LCP_POLICY (as in the NV index) or LCP_POLICY_DATA file")
      ->required();
  cmd->add_option("--data", o->data, "The policy data file, to check the policy's PolicyHash");
  cmd->add_flag("--json", o->json, "Machine-readable output");
  return [=] {
    if (!cmd->parsed()) return -1;
    MappedInput in(o->file);
    nlohmann::ordered_json j;
    j["file"] = o->file;
    int rc = 0;
    std::optional<formats::LcpPolicy> pol;
    std::optional<formats::LcpPolicyData> data;
    if (formats::is_lcp_policy_data(in.bytes())) {
      data = formats::parse_lcp_policy_data(in.bytes(), in.path());
    } else {
      pol = formats::parse_lcp_policy(in.bytes(), in.path());
      if (o->data) {
        MappedInput d(*o->data);
        data = formats::parse_lcp_policy_data(d.bytes(), d.path());
      }
    }
    if (pol) {
      j["policy"] = pol->to_json();
      // What SINIT records as LcpPolicyHash (SHA-1 in SinitMleData with a TPM 1.2), and the
      // structure's hash with the policy's own algorithm.
      j["policy"]["structure_hash"] = {
          {"sha1", pol->structure_hash(HashAlg::kSha1).hex()},
          {std::string(hash_alg_name(pol->alg())), pol->structure_hash(pol->alg()).hex()}};
    }
    if (data) {
      j["data"] = data->to_json();
      const HashAlg alg = pol ? pol->alg() : HashAlg::kSha256;
      j["data"]["lists_hash"] = {{std::string(hash_alg_name(alg)), data->lists_hash(alg).hex()}};
      if (pol) {
        const bool match =
            pol->policy_type == 1 || to_hex(pol->policy_hash) == data->lists_hash(alg).hex();
        j["policy_hash_matches_data"] = match;
        if (!match) rc = 1;
      }
    }
    if (o->json) {
      emit("", dump_json(j, 2) + "\n");
    } else {
      std::string t;
      if (pol) {
        for (auto& [k, v] : j["policy"].items())
          t += fmt::format("policy.{:<24} {}\n", k,
                           v.is_string() ? escape_terminal(v.get<std::string>()) : dump_json(v));
      }
      if (data) {
        size_t li = 0;
        for (const auto& l : j["data"]["lists"]) {
          t += fmt::format("list[{}] version {} size {} signed {}\n", li++,
                           escape_terminal(l["version"].get<std::string>()), dump_json(l["size"]),
                           dump_json(l["signed"]));
          for (const auto& e : l["elements"]) t += fmt::format("  element {}\n", dump_json(e));
        }
        t += fmt::format("data.lists_hash {}\n", dump_json(j["data"]["lists_hash"]));
      }
      if (j.contains("policy_hash_matches_data"))
        t += fmt::format("policy_hash {} the data\n", rc == 0 ? "matches" : "DOES NOT match");
      emit("", t);
    }
    return rc;
  };
}

// integral txt profile LAUNCH -o PROFILE.toml: the platform's SINIT events from a reference
// launch, for the sinit predict stage. Self-contained so other subcommands merge cleanly.
struct TxtSub {
  CLI::App* app;
  std::function<int()> run;
};

TxtSub add_txt_profile(CLI::App* txt) {
  struct Opts {
    std::string file, output;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* app = txt->add_subcommand(
      "profile", "Make a platform profile (SINIT's events) from a reference launch");
  app->add_option("launch", o->file,
                  "The launch: txt-stat output, a tboot serial log, or a binary TXT event log")
      ->required();
  app->add_option("-o,--output", o->output, "Profile file to write (TOML; default stdout)");
  app->add_flag("--json", o->json, "Print a summary as JSON (the profile still goes to -o)");
  return {app, [o] {
            // Text is parsed from the one mapping, with the facts printed around the log (tboot
            // version and command line); a binary log has none and is read by its format.
            MappedInput in(o->file);
            const auto bytes = in.bytes();
            const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
            const bool is_text = text.find('\0') == std::string_view::npos;
            auto loaded =
                is_text ? txt::parse_txt_text(text, in.path()) : txt::load_txt_log({o->file});
            auto prof = txt::make_profile(
                loaded.log, is_text ? txt::launch_facts(text) : txt::LaunchFacts{},
                std::filesystem::path(o->file).filename().string(), loaded.notes);
            for (const auto& n : loaded.notes) fmt::print(stderr, "note: {}\n", escape_terminal(n));
            if (o->json && o->output.empty()) throw_usage("--json needs -o for the profile");
            emit(o->output, txt::profile_to_toml(prof));
            if (o->json) {
              nlohmann::ordered_json j;
              j["profile"] = o->output;
              j["tpm"] = prof.tpm;
              j["mapping"] = prof.mapping;
              j["banks"] = nlohmann::ordered_json::array();
              for (auto b : prof.banks) j["banks"].push_back(hash_alg_name(b));
              j["tboot_version"] = prof.tboot_version;
              j["notes"] = prof.notes;
              std::map<std::string, int> roles;
              for (const auto& e : prof.events) ++roles[e.role];
              j["events"] = roles;
              emit("", dump_json(j, 2) + "\n");
            }
            return 0;
          }};
}

Command add_txt(CLI::App& root) {
  auto* app = root.add_subcommand("txt", "Intel TXT / tboot: MLE, module and SINIT measurements");
  app->require_subcommand(1);
  struct Opts {
    std::string file, alg = "sha256", edx = "0";
    std::vector<std::string> files;
    std::optional<std::string> cmdline;
    bool json = false, skip_filename = false;
  };
  auto o = std::make_shared<Opts>();
  // Subcommands kept in their own functions; each runner returns -1 when not selected.
  const std::vector<std::function<int()>> more = {add_txt_heap(app), add_txt_lcp(app)};

  auto* mle = app->add_subcommand(
      "mle-hash", "Hash of the tboot MLE as SINIT measures it (equals lcp2_mlehash --create)");
  mle->add_option("tboot", o->file, "tboot.gz or the tboot ELF")->required();
  mle->add_option("--cmdline", o->cmdline,
                  "tboot's command line as the loader passes it (GRUB 2: the arguments only); "
                  "omitted = the buffer as in the file");
  mle->add_flag("--skip-filename", o->skip_filename,
                "Drop the first word first, as tboot <= 1.9.3 did");
  mle->add_option("--alg", o->alg, "Comma-separated algorithms")->capture_default_str();
  mle->add_flag("--json", o->json, "Machine-readable output (with the MLE header)");

  auto* mod = app->add_subcommand(
      "module-hash", "tboot's measurement of a multiboot module: H(H(cmdline) || H(image))");
  mod->add_option("file", o->file, "The module as loaded (decompressed if the loader did)")
      ->required();
  mod->add_option("--cmdline", o->cmdline, "The module string as the loader passes it");
  mod->add_option("--alg", o->alg, "Comma-separated algorithms")->capture_default_str();
  mod->add_flag("--json", o->json, "Machine-readable output");

  auto* sinit = app->add_subcommand(
      "sinit-hash", "SINIT's HASH_START measurement of an ACM (ACMHASH || EDX, PCR 17 values)");
  sinit->add_option("acm", o->file, "SINIT ACM file")->required();
  sinit->add_option("--edx", o->edx, "GETSEC[SENTER] EDX flags (tboot: 0)")->capture_default_str();
  sinit->add_option("--alg", o->alg, "Banks for the DA event digests")->capture_default_str();
  sinit->add_flag("--json", o->json, "Machine-readable output");

  auto* acm = app->add_subcommand("acm", "Decode an ACM header and information table");
  acm->add_option("acm", o->file, "ACM file")->required();
  acm->add_flag("--json", o->json, "Machine-readable output");

  auto* pol = app->add_subcommand("policy", "Decode a tboot policy (tb_polgen file)");
  pol->add_option("policy", o->file, "Policy file")->required();
  pol->add_option("--alg", o->alg, "Banks for the policy event digest")->capture_default_str();
  pol->add_flag("--json", o->json, "Machine-readable output");

  auto* log = app->add_subcommand(
      "log", "Read the TXT event log in txt-stat output (or a tboot serial log) and replay it");
  log->add_option("files", o->files,
                  "txt-stat output, tboot serial log, binary TXT log (TPM 1.2 container, TCG; "
                  "TPM 2.0 Intel format: one file per bank) or JSON event list")
      ->required();
  log->add_flag("--json", o->json, "Machine-readable output");

  const TxtSub profile = add_txt_profile(app);

  return {app, [=] {
            for (const auto& run : more)
              if (int rc = run(); rc >= 0) return rc;
            if (profile.app->parsed()) return profile.run();
            if (mle->parsed()) {
              auto algs = parse_algs(o->alg);
              auto m = formats::TbootMle::load(o->file);
              auto cmdline = o->cmdline;
              if (cmdline && o->skip_filename) cmdline = formats::TbootMle::skip_filename(*cmdline);
              auto ds = m.mle_hash(algs, cmdline);
              if (o->json) {
                const auto& h = m.header();
                nlohmann::ordered_json j;
                j["file"] = o->file;
                j["mle_header"] = {{"image_offset", fmt::format("{:#x}", h.image_offset)},
                                   {"version", fmt::format("{:#x}", h.version)},
                                   {"mle_start_off", fmt::format("{:#x}", h.mle_start_off)},
                                   {"mle_end_off", fmt::format("{:#x}", h.mle_end_off)},
                                   {"capabilities", fmt::format("{:#x}", h.capabilities)},
                                   {"cmdline_start_off", fmt::format("{:#x}", h.cmdline_start_off)},
                                   {"cmdline_end_off", fmt::format("{:#x}", h.cmdline_end_off)}};
                if (cmdline) j["cmdline"] = *cmdline;
                j["mle_hash"] = digests_json(ds);
                emit("", dump_json(j, 2) + "\n");
              } else {
                emit("", digests_text(ds, algs.size() > 1));
              }
              return 0;
            }
            if (mod->parsed()) {
              auto algs = parse_algs(o->alg);
              auto ds = formats::tb_module_digests(algs, o->cmdline.value_or(""), o->file);
              if (o->json) {
                nlohmann::ordered_json j;
                j["file"] = o->file;
                j["cmdline"] = o->cmdline.value_or("");
                j["digest"] = digests_json(ds);
                emit("", dump_json(j, 2) + "\n");
              } else {
                emit("", digests_text(ds, algs.size() > 1));
              }
              return 0;
            }
            if (sinit->parsed()) {
              auto algs = parse_algs(o->alg);
              uint32_t edx = 0;
              try {
                size_t used = 0;
                const unsigned long v = std::stoul(o->edx, &used, 0);
                if (used != o->edx.size() || v > 0xffffffffUL) throw std::out_of_range("");
                edx = static_cast<uint32_t>(v);
              } catch (const std::exception&) {
                throw_usage(fmt::format("--edx '{}' is not a 32-bit number", o->edx));
              }
              auto a = formats::TxtAcm::load(o->file);
              const Bytes data = a.hash_start_data(edx);
              // Legacy (TPM 1.2): PCR 17 is reset and extended with SHA1(data) in one sequence;
              // the result is SinitMleData.SinitHash and the 0x402 record's digest.
              const Digest inner = hash(HashAlg::kSha1, data);
              Hasher h(HashAlg::kSha1);
              h.update(Digest::zero(HashAlg::kSha1).bytes());
              h.update(inner.bytes());
              const Digest sinit_hash = h.finish();
              std::vector<Digest> events;
              for (auto alg : algs) events.push_back(hash(alg, data));
              if (o->json) {
                nlohmann::ordered_json j;
                j["file"] = o->file;
                j["acm_hash_sha256"] = a.acm_hash().hex();
                j["edx"] = edx;
                j["hash_start_data"] = to_hex(data);
                j["hash_start_event_digest"] = digests_json(events);
                j["legacy_sinit_hash_sha1"] = sinit_hash.hex();
                emit("", dump_json(j, 2) + "\n");
              } else {
                std::string t = fmt::format("acm_hash (sha256)       {}\n", a.acm_hash().hex());
                t += fmt::format("hash_start data         {}\n", to_hex(data));
                for (const auto& d : events)
                  t += fmt::format("event digest {:<10} {}\n", hash_alg_name(d.alg()), d.hex());
                t += fmt::format("legacy SinitHash (sha1) {}\n", sinit_hash.hex());
                emit("", t);
              }
              return 0;
            }
            if (log->parsed()) return run_txt_log(o->files, o->json);
            if (acm->parsed()) {
              auto a = formats::TxtAcm::load(o->file);
              auto j = a.to_json();
              if (o->json) {
                emit("", dump_json(j, 2) + "\n");
              } else {
                std::string t;
                for (auto& [k, v] : j.items()) {
                  if (k == "info_table") continue;
                  t += fmt::format(
                      "{:<18} {}\n", k,
                      v.is_string() ? escape_terminal(v.get<std::string>()) : dump_json(v));
                }
                if (j.contains("info_table"))
                  for (auto& [k, v] : j["info_table"].items())
                    t += fmt::format(
                        "info.{:<13} {}\n", k,
                        v.is_string() ? escape_terminal(v.get<std::string>()) : dump_json(v));
                emit("", t);
              }
              return 0;
            }
            auto algs = parse_algs(o->alg);
            auto p = formats::TbPolicy::load(o->file);
            auto j = p.to_json();
            // The policy event as tboot extends it with this policy's algorithm as H_cur.
            nlohmann::ordered_json ev;
            for (auto alg : algs) {
              ev[std::string(hash_alg_name(alg))] =
                  formats::tb_policy_event_digest(p.raw, p.policy_control, p.alg(), alg).hex();
            }
            j["policy_event_digest"] = ev;
            emit("", o->json ? dump_json(j, 2) + "\n" : dump_json(j, 2) + "\n");
            return 0;
          }};
}

const CommandRegistrar registered(60, add_txt);

}  // namespace

}  // namespace integral::cli
