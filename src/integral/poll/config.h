// integral poll's configuration: twobit-gitpoller's INI file read as-is, plus the keys a modern
// deployment needs (refs, timeouts, concurrency, state and status files, GitHub API and token).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "integral/poll/ini.h"

namespace integral::poll {

using Seconds = std::chrono::seconds;

struct HookConfig {
  enum class Kind { kScript, kBuildbot };
  Kind kind = Kind::kScript;
  std::string script;  // hook-script (kScript); the buildbot command (kBuildbot)
  std::string master, port, user, passwd, logfile;  // passed on as git_buildbot.py options
  std::vector<std::string> projects;                // empty: one run without --project
  std::string repository;                           // hook-repository: --repository
  Seconds timeout{300};                             // hook-timeout
  bool on_clone = false;                            // hook-on-clone: announce a first clone
  // hook-type = buildbot only. git_buildbot.py's --category and --first-parent, and two
  // deliberate departures from it, off by default: buildbot-max-changes caps the commits
  // announced for one ref (more: the tip alone; 0 = no cap, as git_buildbot.py), and
  // buildbot-commit-time sends each commit's committer time as the change's time
  // (git_buildbot.py sends none, so the master stamps the time it received the change).
  std::string category;       // buildbot-category
  bool first_parent = false;  // buildbot-first-parent
  size_t max_changes = 0;     // buildbot-max-changes
  bool commit_time = false;   // buildbot-commit-time
};

struct RepoConfig {
  std::string name;  // section name, or org/repo for enumerated repositories
  std::string url;
  std::filesystem::path gitdir;      // absolute or relative to the process's cwd
  std::filesystem::path state_file;  // state-file, default "<gitdir>.delivered"
  Seconds poll_interval{300};
  Seconds timeout{300};  // per git operation (timeout)
  std::vector<std::string> refs{"refs/heads/*", "refs/tags/*"};
  std::optional<HookConfig> hook;
  std::string token_env;  // GIT http.extraHeader bearer token (org repos over https)
  std::filesystem::path token_file;
  // Where git may send the token: "scheme://host[:port]" (the API's site, for organization
  // repositories); empty: any https URL (a repository section that names its own token).
  std::string token_origin;
};

struct OrgConfig {
  std::string name;  // section
  std::string org;
  std::string api_url = "https://api.github.com";
  std::filesystem::path basedir;
  Seconds poll_interval{300};
  Seconds enumerate_interval{3600};
  bool include_forks = true, include_archived = false;
  std::string url_field = "clone_url";  // clone_url | ssh_url
  RepoConfig repo_template;             // hook, refs, timeouts for every enumerated repo
  // A repository that leaves the listing (deleted, transferred, archived, disabled) stops
  // being polled; prune-mirrors also removes its mirror and delivered state. Kept by default:
  // a listing also shrinks when a token loses access or a repository is archived for a
  // while, and a removed delivered state would make a returning repository re-baseline,
  // silently skipping what moved meanwhile; a kept mirror costs disk only.
  bool prune_mirrors = false;
  // Rate limited (403/429 with Retry-After or X-RateLimit-Remaining: 0): wait up to this long
  // and retry, or else skip this enumeration until the limit resets.
  Seconds rate_limit_wait{60};
};

struct PollConfig {
  std::filesystem::path file;
  std::vector<RepoConfig> repos;
  std::vector<OrgConfig> orgs;
  int concurrency = 4;
  std::filesystem::path status_file;  // empty: none
  std::filesystem::path log_file;     // empty: stderr
  Seconds max_backoff{3600};
};

// Reads the file; unknown keys are errors (a typo must not silently disable a hook), except
// twobit's own keys which are all understood.
PollConfig load_poll_config(const std::filesystem::path& file);
PollConfig parse_poll_config(std::string_view text, const std::filesystem::path& file);

// The token named by the configuration (token-file or token-env), or empty. Never logged.
std::string read_token(const RepoConfig& r);

// Moves every token-env variable the configuration names out of this process's environment
// into memory (read_token still finds it), so no child - git, hooks, buildbot - inherits it.
// Call before starting threads (it edits the environment).
void take_token_env(const PollConfig& cfg);

// "https://api.github.com" → "https://github.com"; "https://ghe.example/api/v3" →
// "https://ghe.example": the site whose clone URLs may receive the API token.
std::string token_origin_of_api(std::string_view api_url);

// "https://user:secret@host/x" → "https://***@host/x": URLs as they may appear in logs.
std::string redact_url(std::string_view url);

}  // namespace integral::poll
