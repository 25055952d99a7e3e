// One poll of one repository (mirror, detect, deliver), and the scheduler that polls many in
// parallel with bounded workers and per-repository exponential backoff, writing a status file.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "integral/poll/config.h"
#include "integral/poll/log.h"

namespace integral::poll {

// The delivered-state file of one hook consumer: "<state_file>" without hook-projects,
// "<state_file>.<project>" (project bytes outside [A-Za-z0-9._-] %-escaped) with them.
std::filesystem::path consumer_state_file(const RepoConfig& r, const std::string& project);

struct RepoResult {
  bool ok = false;
  std::string error;     // when !ok
  bool cloned = false;   // first sight (or a broken mirror replaced)
  bool fetched = false;  // refs differed, fetch ran
  size_t delivered = 0;  // ref updates confirmed by the hook (summed over projects)
  size_t pending = 0;    // ref updates the hook has not confirmed
};

// Mirrors `r` and delivers what its hook has not confirmed. Never throws for a repository's
// own failures (they are in the result); `cancel` aborts running children.
RepoResult poll_repository(const RepoConfig& r, Logger& log, const std::atomic<bool>* cancel);

struct RepoStatus {
  std::string name, url, gitdir;
  int64_t last_attempt = 0, last_success = 0, last_error_time = 0, next_poll = 0;  // unix s
  std::string last_error;
  size_t pending = 0;
  int consecutive_failures = 0;
  uint64_t delivered_total = 0;
};
nlohmann::json status_to_json(const std::vector<RepoStatus>& s);

struct RunOptions {
  bool once = false;  // one pass over every repository, then return
  const std::atomic<bool>* stop = nullptr;
};

// Polls until *stop (or after one pass with once). Returns the number of repositories whose
// last poll failed.
int run_poller(const PollConfig& cfg, Logger& log, const RunOptions& opts);

// Delay before retrying after `failures` (>= 1) consecutive failures: min(interval, 30 s),
// doubled per further failure, capped by max_backoff.
std::chrono::seconds backoff_delay(std::chrono::seconds interval, int failures,
                                   std::chrono::seconds max_backoff);

}  // namespace integral::poll
