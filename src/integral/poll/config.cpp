#include "integral/poll/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "integral/poll/refs.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral::poll {

namespace {

namespace fs = std::filesystem;

const std::set<std::string> kKnownKeys = {
    // twobit-gitpoller
    "type", "url", "gitdir", "basedir", "poll-interval", "hook-script", "hook-master", "hook-port",
    "hook-user", "hook-passwd", "hook-logfile", "hook-projects", "name",
    // integral
    "refs", "timeout", "hook-timeout", "hook-on-clone", "hook-repository", "hook-type",
    "buildbot-command", "state-file", "concurrency", "status-file", "log-file", "max-backoff",
    "api-url", "token-file", "token-env", "enumerate-interval", "include-forks", "include-archived",
    "url-field", "prune-mirrors", "rate-limit-wait", "buildbot-category", "buildbot-first-parent",
    "buildbot-max-changes", "buildbot-commit-time"};

struct Reader {
  const IniFile& ini;
  const std::string& sec;

  std::optional<std::string> get(const char* key) const { return ini.get(sec, key); }
  [[noreturn]] void fail(const std::string& what) const {
    throw_bad_input(fmt::format("[{}]: {}", sec, what), ini.file(), ini.offset(sec));
  }
  std::string need(const char* key) const {
    auto v = get(key);
    if (!v || v->empty()) fail(fmt::format("'{}' is required", key));
    return *v;
  }
  Seconds seconds(const char* key, Seconds def) const {
    auto v = get(key);
    if (!v) return def;
    char* end = nullptr;
    long n = std::strtol(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || n <= 0 || n > 366L * 86400)
      fail(fmt::format("'{}' must be a positive number of seconds, not '{}'", key, *v));
    return Seconds(n);
  }
  bool boolean(const char* key, bool def) const {
    auto v = get(key);
    if (!v) return def;
    std::string s = *v;
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (s == "1" || s == "yes" || s == "true" || s == "on") return true;
    if (s == "0" || s == "no" || s == "false" || s == "off") return false;
    fail(fmt::format("'{}' must be a boolean, not '{}'", key, *v));
  }
  fs::path path(const fs::path& basedir, const std::string& v) const {
    fs::path p(v);
    return p.is_absolute() || basedir.empty() ? p : basedir / p;
  }
};

std::optional<HookConfig> read_hook(const Reader& r) {
  HookConfig h;
  auto type = r.get("hook-type").value_or("script");
  auto script = r.get("hook-script");
  if (type == "buildbot") {
    h.kind = HookConfig::Kind::kBuildbot;
    h.script = r.get("buildbot-command").value_or("buildbot");
    if (!r.get("hook-master")) r.fail("hook-type = buildbot needs hook-master");
  } else if (type == "script") {
    if (!script || script->empty()) return std::nullopt;  // twobit: polled without a hook
    h.script = *script;
  } else {
    r.fail(fmt::format("hook-type must be 'script' or 'buildbot', not '{}'", type));
  }
  h.master = r.get("hook-master").value_or("");
  h.port = r.get("hook-port").value_or("");
  h.user = r.get("hook-user").value_or("");
  h.passwd = r.get("hook-passwd").value_or("");
  h.logfile = r.get("hook-logfile").value_or("");
  h.repository = r.get("hook-repository").value_or("");
  if (auto p = r.get("hook-projects"))
    h.projects = parse_python_string_list(*p, r.ini.file(), r.ini.offset(r.sec));
  h.timeout = r.seconds("hook-timeout", Seconds(300));
  h.on_clone = r.boolean("hook-on-clone", false);
  h.category = r.get("buildbot-category").value_or("");
  h.first_parent = r.boolean("buildbot-first-parent", false);
  h.commit_time = r.boolean("buildbot-commit-time", false);
  if (auto v = r.get("buildbot-max-changes")) {
    char* end = nullptr;
    long n = std::strtol(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || n < 0 || n > 1000000)
      r.fail(fmt::format("'buildbot-max-changes' must be 0..1000000, not '{}'", *v));
    h.max_changes = static_cast<size_t>(n);
  }
  return h;
}

std::vector<std::string> read_refs(const Reader& r) {
  auto v = r.get("refs");
  if (!v) return {"refs/heads/*", "refs/tags/*"};
  std::vector<std::string> refs;
  std::string cur;
  for (char c : *v + " ") {
    if (c == ' ' || c == ',' || c == '\n' || c == '\t') {
      if (!cur.empty()) refs.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  for (const auto& p : refs)
    if (p.rfind("refs/", 0) != 0 || std::count(p.begin(), p.end(), '*') > 1 ||
        (p.find('*') != std::string::npos && p.back() != '*'))
      r.fail(fmt::format("refs: '{}' is not refs/... with at most one trailing '*'", p));
  if (refs.empty()) r.fail("refs is empty");
  // The poller keeps delivered objects alive under refs/integral/; a fetch must not prune them.
  for (const auto& p : refs)
    if (ref_matches(p, "refs/integral/keep/0"))
      r.fail(fmt::format("refs: '{}' covers refs/integral/", p));
  return refs;
}

RepoConfig read_repo_common(const Reader& r) {
  RepoConfig c;
  c.name = r.sec;
  c.poll_interval = r.seconds("poll-interval", Seconds(300));
  c.timeout = r.seconds("timeout", Seconds(300));
  c.refs = read_refs(r);
  c.hook = read_hook(r);
  c.token_env = r.get("token-env").value_or("");
  if (auto f = r.get("token-file")) c.token_file = *f;
  return c;
}

}  // namespace

PollConfig parse_poll_config(std::string_view text, const fs::path& file) {
  IniFile ini = IniFile::parse(text, file.string());
  PollConfig cfg;
  cfg.file = file;
  const std::string def = "DEFAULT";
  Reader d{ini, def};
  for (const auto& k : ini.keys(def))
    if (!kKnownKeys.count(k)) d.fail(fmt::format("unknown key '{}'", k));
  if (auto v = d.get("concurrency")) {
    char* end = nullptr;
    long n = std::strtol(v->c_str(), &end, 10);
    if (*end != '\0' || n < 1 || n > 256) d.fail("concurrency must be 1..256");
    cfg.concurrency = static_cast<int>(n);
  }
  if (auto v = d.get("status-file")) cfg.status_file = *v;
  if (auto v = d.get("log-file")) cfg.log_file = *v;
  cfg.max_backoff = d.seconds("max-backoff", Seconds(3600));

  std::set<std::string> gitdirs;
  for (const auto& sec : ini.sections()) {
    Reader r{ini, sec};
    for (const auto& k : ini.keys(sec))
      if (!kKnownKeys.count(k)) r.fail(fmt::format("unknown key '{}'", k));
    auto type = r.need("type");
    fs::path basedir = r.get("basedir").value_or("");
    if (type == "git") {
      RepoConfig c = read_repo_common(r);
      c.url = r.need("url");
      c.gitdir = r.path(basedir, r.need("gitdir"));
      c.state_file = r.get("state-file") ? r.path(basedir, *r.get("state-file"))
                                         : fs::path(c.gitdir.string() + ".delivered");
      // Two sections on one mirror would fight over it (and over its delivered state).
      auto key = fs::absolute(c.gitdir).lexically_normal().string();
      if (!gitdirs.insert(key).second)
        r.fail(fmt::format("gitdir {} is used by another section", c.gitdir.string()));
      cfg.repos.push_back(std::move(c));
    } else if (type == "org") {
      OrgConfig o;
      o.name = sec;
      o.org = r.need("name");
      o.api_url = r.get("api-url").value_or("https://api.github.com");
      while (!o.api_url.empty() && o.api_url.back() == '/') o.api_url.pop_back();
      o.basedir = basedir.empty() ? fs::path(".") : basedir;
      o.repo_template = read_repo_common(r);
      o.poll_interval = o.repo_template.poll_interval;
      o.enumerate_interval = r.seconds("enumerate-interval", Seconds(3600));
      o.include_forks = r.boolean("include-forks", true);
      o.include_archived = r.boolean("include-archived", false);
      o.prune_mirrors = r.boolean("prune-mirrors", false);
      o.rate_limit_wait = r.seconds("rate-limit-wait", Seconds(60));
      o.repo_template.token_origin = token_origin_of_api(o.api_url);
      o.url_field = r.get("url-field").value_or("clone_url");
      if (o.url_field != "clone_url" && o.url_field != "ssh_url")
        r.fail("url-field must be clone_url or ssh_url");
      cfg.orgs.push_back(std::move(o));
    } else {
      r.fail(fmt::format("type must be 'git' or 'org', not '{}'", type));
    }
  }
  return cfg;
}

PollConfig load_poll_config(const fs::path& file) {
  return parse_poll_config(read_text_file(file, 16u << 20), file);
}

namespace {
std::mutex g_taken_mu;
std::map<std::string, std::string>& taken_tokens() {
  static std::map<std::string, std::string> m;
  return m;
}
}  // namespace

void take_token_env(const PollConfig& cfg) {
  std::vector<const RepoConfig*> all;
  for (const auto& r : cfg.repos) all.push_back(&r);
  for (const auto& o : cfg.orgs) all.push_back(&o.repo_template);
  std::lock_guard lock(g_taken_mu);
  for (const auto* r : all) {
    if (r->token_env.empty() || taken_tokens().count(r->token_env)) continue;
    if (char* v = std::getenv(r->token_env.c_str())) {
      taken_tokens()[r->token_env] = v;
      // The value also stays in the initial environment block, which /proc/<pid>/environ
      // shows (for a child between fork and exec too): blank it there.
      std::memset(v, 0, std::strlen(v));
      ::unsetenv(r->token_env.c_str());
    }
  }
}

std::string token_origin_of_api(std::string_view api) {
  auto scheme = api.find("://");
  if (scheme == std::string_view::npos) return {};
  auto slash = api.find('/', scheme + 3);
  std::string origin(api.substr(0, slash));
  if (origin == "https://api.github.com") return "https://github.com";
  return origin;
}

std::string read_token(const RepoConfig& r) {
  std::string t;
  if (!r.token_file.empty()) {
    t = read_text_file(r.token_file, 64u << 10);
  } else if (!r.token_env.empty()) {
    std::lock_guard lock(g_taken_mu);
    auto it = taken_tokens().find(r.token_env);
    if (it != taken_tokens().end()) {
      t = it->second;
    } else {
      const char* v = std::getenv(r.token_env.c_str());
      if (!v) throw_environment(fmt::format("token-env: ${} is not set", r.token_env));
      t = v;
    }
  }
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  if (t.find_first_of("\r\n") != std::string::npos)
    throw_bad_input("token holds a line break", r.token_file.string());
  return t;
}

std::string redact_url(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  auto host_start = scheme + 3;
  auto slash = url.find('/', host_start);
  auto at = url.rfind('@', slash == std::string_view::npos ? url.size() : slash);
  if (at == std::string_view::npos || at < host_start) return std::string(url);
  return std::string(url.substr(0, host_start)) + "***" + std::string(url.substr(at));
}

}  // namespace integral::poll
