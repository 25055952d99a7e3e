// integral poll CONFIG : mirror git repositories and feed post-receive-style hooks.
#include <signal.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <atomic>
#include <ctime>

#include "cli/commands.h"
#include "integral/poll/config.h"
#include "integral/poll/log.h"
#include "integral/poll/poller.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/json_io.h"
#include "integral/util/text.h"

namespace integral::cli {

namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_stop_signal(int) {
  g_stop.store(true);
}

std::string when(int64_t t) {
  if (t == 0) return "-";
  std::time_t tt = static_cast<std::time_t>(t);
  return fmt::format("{:%Y-%m-%d %H:%M:%S}Z", fmt::gmtime(tt));
}

int show_status(const std::string& file, bool json) {
  auto text = read_text_file(file, 64u << 20);
  const nlohmann::json j = parse_json_input(text, file);
  if (json) {
    fmt::print("{}\n", dump_json(j, 2));
    return 0;
  }
  // Rendered whole before printing: a field of the wrong type is bad input, with no partial table.
  std::string table = fmt::format("{:<24} {:<21} {:<21} {:>7} {}\n", "repository", "last success",
                                  "last error", "pending", "error");
  try {
    if (!j.is_object()) throw_bad_input("not a status file (not a JSON object)", file);
    for (const auto& r : j.value("repositories", nlohmann::json::array())) {
      table += fmt::format(
          "{:<24} {:<21} {:<21} {:>7} {}\n", escape_terminal(r.value("name", "")),
          when(r.value("last_success", int64_t{0})), when(r.value("last_error_time", int64_t{0})),
          r.value("pending", 0),
          escape_terminal(r.value("consecutive_failures", 0) > 0 ? r.value("last_error", "") : ""));
    }
  } catch (const nlohmann::json::exception& e) {
    throw_bad_input(fmt::format("not a status file: {}", e.what()), file);
  }
  fmt::print("{}", table);
  return 0;
}

Command add_poll(CLI::App& root) {
  auto* app = root.add_subcommand(
      "poll", "Mirror git repositories and run post-receive-style hooks for every ref change");
  struct Opts {
    std::string config, status_file, log;
    bool once = false, status = false, json = false;
  };
  auto o = std::make_shared<Opts>();
  app->add_option("config", o->config, "Poller configuration (twobit-gitpoller INI format)")
      ->required();
  app->add_flag("--once", o->once, "Poll every repository once, then exit (for cron and tests)");
  app->add_flag("--status", o->status, "Show each repository's last success, error and pending");
  app->add_flag("--json", o->json, "With --status: JSON");
  app->add_option("--status-file", o->status_file, "Status file (overrides status-file)");
  app->add_option("--log", o->log, "Log file (overrides log-file; default stderr)");

  return {app, [o] {
            auto cfg = poll::load_poll_config(o->config);
            if (!o->status_file.empty()) cfg.status_file = o->status_file;
            if (o->status) {
              if (cfg.status_file.empty())
                throw_usage("--status needs status-file in the configuration or --status-file");
              return show_status(cfg.status_file.string(), o->json);
            }
            if (o->json) throw_usage("--json goes with --status");
            poll::take_token_env(cfg);  // before any thread or child: none inherits a token
            poll::Logger log(o->log.empty() ? cfg.log_file.string() : o->log);
            struct sigaction sa {};
            sa.sa_handler = on_stop_signal;
            sigemptyset(&sa.sa_mask);
            sigaction(SIGTERM, &sa, nullptr);
            sigaction(SIGINT, &sa, nullptr);
            signal(SIGPIPE, SIG_IGN);  // a hook closing stdin early is its exit status's say
            poll::RunOptions ro;
            ro.once = o->once;
            ro.stop = &g_stop;
            log.line("poll", fmt::format("polling {} repositories, {} organizations, {} workers{}",
                                         cfg.repos.size(), cfg.orgs.size(), cfg.concurrency,
                                         o->once ? " (once)" : ""));
            int failed = poll::run_poller(cfg, log, ro);
            if (g_stop.load()) log.line("poll", "stopped by signal");
            return failed > 0 && o->once ? static_cast<int>(ExitCode::kEnvironment) : 0;
          }};
}

const CommandRegistrar registered(50, add_poll);

}  // namespace

}  // namespace integral::cli
