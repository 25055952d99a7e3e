// integral txt log | profile : read and replay a TXT event log; make a platform profile from a
// reference launch.
#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "cli/txt.h"
#include "integral/eventlog/txt_log.h"
#include "integral/predict/txt_profile.h"
#include "integral/util/error.h"
#include "integral/util/hex.h"
#include "integral/util/json_io.h"
#include "integral/util/mapped_file.h"
#include "integral/util/text.h"

namespace integral::cli {

namespace {

// integral txt log: decode and replay any TXT log; a launch known not to match its TPM is
// reported (exit 1), not hidden.
int run_txt_log(const std::vector<std::string>& files, bool json) {
  std::vector<std::filesystem::path> paths(files.begin(), files.end());
  auto loaded = load_txt_log(paths);
  const auto& l = loaded.log;
  auto pcrs = replay_txt_log(l);
  nlohmann::ordered_json j;
  j["file"] = files.size() == 1 ? nlohmann::ordered_json(files[0]) : nlohmann::ordered_json(files);
  j["format"] = std::string(txt_log_format_name(l.format));
  auto& ev = j["events"] = nlohmann::ordered_json::array();
  std::string t;
  for (const auto& e : l.events) {
    nlohmann::ordered_json x;
    if (e.line) x["line"] = e.line;
    if (e.offset) x["offset"] = *e.offset;
    x["pcr"] = e.pcr;
    x["type"] = fmt::format("{:#x}", e.type);
    x["name"] = std::string(txt_event_type_name(e.type));
    x["digests"] = digests_json(e.digests);
    x["data"] = to_hex(e.data);
    ev.push_back(x);
    t += fmt::format("pcr {:>3}  {:#06x} {:<22}", e.pcr, e.type, txt_event_type_name(e.type));
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
  if (auto k = known_mismatch(l)) {
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

}  // namespace

Command add_txt_log(CLI::App& txt) {
  struct Opts {
    std::vector<std::string> files;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* log = txt.add_subcommand(
      "log", "Read the TXT event log in txt-stat output (or a tboot serial log) and replay it");
  log->add_option("files", o->files,
                  "txt-stat output, tboot serial log, binary TXT log (TPM 1.2 container, TCG; "
                  "TPM 2.0 Intel format: one file per bank) or JSON event list")
      ->required();
  log->add_flag("--json", o->json, "Machine-readable output");
  return {log, [o] { return run_txt_log(o->files, o->json); }};
}

// integral txt profile LAUNCH -o PROFILE.toml: the platform's SINIT events from a reference
// launch, for the sinit predict stage.
Command add_txt_profile(CLI::App& txt) {
  struct Opts {
    std::string file, output;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* app = txt.add_subcommand(
      "profile", "Make a platform profile (SINIT's events) from a reference launch");
  app->add_option("launch", o->file,
                  "The launch: txt-stat output, a tboot serial log, or a binary TXT event log")
      ->required();
  app->add_option("-o,--output", o->output, "Profile file to write (TOML; default stdout)");
  app->add_flag("--json", o->json, "Print a summary as JSON (the profile still goes to -o)");
  return {app, [o] {
            // Text is parsed from the one mapping, with the facts printed around the log (tboot
            // version and command line); a binary log has none and is read by its format.
            MappedFile in(o->file, MappedFile::NonRegular::kRefuse);
            const auto bytes = in.bytes();
            const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
            const bool is_text = text.find('\0') == std::string_view::npos;
            auto loaded = is_text ? parse_txt_text(text, in.path()) : load_txt_log({o->file});
            auto prof =
                make_profile(loaded.log, is_text ? launch_facts(text) : LaunchFacts{},
                             std::filesystem::path(o->file).filename().string(), loaded.notes);
            for (const auto& n : loaded.notes) fmt::print(stderr, "note: {}\n", escape_terminal(n));
            if (o->json && o->output.empty()) throw_usage("--json needs -o for the profile");
            emit(o->output, profile_to_toml(prof));
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

}  // namespace integral::cli
