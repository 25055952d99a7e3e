#include "integral/poll/poller.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "integral/poll/github.h"
#include "integral/poll/hook.h"
#include "integral/poll/mirror.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/json_io.h"

namespace integral::poll {

namespace fs = std::filesystem;

fs::path consumer_state_file(const RepoConfig& r, const std::string& project) {
  if (project.empty()) return r.state_file;
  std::string esc;
  for (unsigned char c : project) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '-')
      esc += static_cast<char>(c);
    else
      esc += fmt::format("%{:02x}", c);
  }
  return fs::path(r.state_file.string() + "." + esc);
}

namespace {

struct Consumer {
  std::string project;
  fs::path file;
  bool have = false;
  RefMap delivered;
};

std::vector<std::string> kept_ids(const std::vector<Consumer>& cs) {
  std::set<std::string> ids;
  for (const auto& c : cs)
    for (const auto& [ref, id] : c.delivered) ids.insert(id);
  return {ids.begin(), ids.end()};
}

std::string short_detail(const std::string& d) {
  auto nl = d.rfind('\n');
  std::string last = nl == std::string::npos ? d : d.substr(nl + 1);
  return last.size() > 300 ? last.substr(0, 300) : last;
}

}  // namespace

namespace {

// One poll of one repository: bring the mirror up to date, make sure it holds what the hooks
// will be told about, then deliver to each hook consumer what it has not confirmed.
class RepoPoll {
 public:
  RepoPoll(const RepoConfig& r, Logger& log, const std::atomic<bool>* cancel, RepoResult& res)
      : r_(r), log_(log), res_(res), m_(r, cancel), cancel_(cancel) {
    load_consumers();
  }

  void run() {
    RefMap current = update_mirror();
    replace_if_incomplete(current);
    std::string failure = deliver(current);
    if (!failure.empty()) {
      res_.error = failure;
      return;
    }
    res_.ok = true;
  }

 private:
  void load_consumers() {
    if (r_.hook) {
      if (r_.hook->projects.empty())
        consumers_.push_back({"", consumer_state_file(r_, ""), false, {}});
      for (const auto& p : r_.hook->projects)
        consumers_.push_back({p, consumer_state_file(r_, p), false, {}});
    }
    for (auto& c : consumers_) c.have = load_state(c.file, c.delivered);
  }

  // Fetches into the mirror (or clones it when absent or unreadable); returns its refs.
  RefMap update_mirror() {
    bool usable = m_.present();
    RefMap local;
    if (usable) {
      try {
        local = m_.local_refs();
      } catch (const GitFailure& e) {
        log_.line(r_.name, fmt::format("mirror unreadable ({}: {}); re-cloning", e.what(),
                                       short_detail(e.detail)));
        usable = false;
      }
    }
    if (!usable) return reclone();
    // A consumer without state (hook added, or state lost): its baseline is the mirror as it
    // was before this fetch, so moves fetched now are delivered.
    bool baseline = false;
    for (auto& c : consumers_)
      if (!c.have) {
        c.delivered = local;
        store_state(c.file, c.delivered);
        c.have = baseline = true;
      }
    if (baseline) m_.keep_objects(kept_ids(consumers_));
    RefMap remote = m_.remote_refs();
    if (remote == local) return local;
    RefMap current;
    try {
      m_.fetch();
      current = m_.local_refs();
    } catch (const GitFailure& e) {
      // The remote answered ls-remote, so the mirror is the likely culprit.
      log_.line(r_.name, fmt::format("{} ({}); re-cloning", e.what(), short_detail(e.detail)));
      current = reclone();
    }
    res_.fetched = true;
    return current;
  }

  RefMap reclone() {
    RefMap refs = m_.clone_to_temp();
    // Baselines for consumers seeing this repository for the first time are written
    // before the mirror is installed: a crash in between re-clones and re-baselines.
    bool baseline = false;
    for (auto& c : consumers_)
      if (!c.have) {
        c.delivered = r_.hook->on_clone ? RefMap{} : refs;
        store_state(c.file, c.delivered);
        c.have = baseline = true;
      }
    if (!consumers_.empty()) {
      try {
        m_.keep_objects(kept_ids(consumers_), m_.temp_dir());
      } catch (const GitFailure& e) {
        // Delivered objects the new clone lacks (a broken mirror replaced): nothing to keep.
        log_.line(r_.name, fmt::format("keeping delivered objects: {}", short_detail(e.detail)));
      }
    }
    m_.install_temp();
    res_.cloned = res_.fetched = true;
    log_.line(r_.name, fmt::format("cloned {} ({} refs){}", redact_url(r_.url), refs.size(),
                                   baseline ? ", baseline recorded" : ""));
    return refs;
  }

  // A hook is told about objects it will look up in the mirror: a mirror that lost them
  // (deleted packs, a damaged disk) is replaced before any hook runs.
  void replace_if_incomplete(RefMap& current) {
    std::set<std::string> wanted;
    for (const auto& c : consumers_)
      for (const auto& u : diff_refs(c.delivered, current))
        if (!is_zero_id(u.new_id)) wanted.insert(u.new_id);
    if (wanted.empty() || res_.cloned) return;
    auto missing = m_.missing_objects({wanted.begin(), wanted.end()});
    if (missing.empty()) return;
    log_.line(r_.name, fmt::format("mirror lacks {} object(s) it has refs for, e.g. {}; "
                                   "re-cloning",
                                   missing.size(), missing.front()));
    current = reclone();
  }

  // Runs each consumer's hook on its updates; returns the first failure ("" if none).
  std::string deliver(const RefMap& current) {
    bool changed_state = false;
    std::string failure;
    for (auto& c : consumers_) {
      auto updates = diff_refs(c.delivered, current);
      if (updates.empty()) continue;
      std::string who = c.project.empty() ? "hook" : "hook (project " + c.project + ")";
      auto out = run_hook(*r_.hook, c.project, r_.gitdir, updates, cancel_);
      if (!out.output.empty()) log_.output(r_.name, who, out.output);
      if (!out.ok) {
        res_.pending += updates.size();
        if (failure.empty())
          failure =
              fmt::format("{} failed ({}); {} update(s) pending", who, out.summary, updates.size());
        continue;
      }
      // Between the hook's success and this write is the only window for duplicates.
      store_state(c.file, current);
      c.delivered = current;
      changed_state = true;
      res_.delivered += updates.size();
      log_.line(r_.name,
                fmt::format("{} delivered {} update(s): {}", who, updates.size(), out.summary));
    }
    if (changed_state) {
      try {
        m_.keep_objects(kept_ids(consumers_));
      } catch (const GitFailure& e) {
        log_.line(r_.name, fmt::format("keeping delivered objects: {}", short_detail(e.detail)));
      }
    }
    return failure;
  }

  const RepoConfig& r_;
  Logger& log_;
  RepoResult& res_;
  Mirror m_;
  const std::atomic<bool>* cancel_;
  std::vector<Consumer> consumers_;
};

}  // namespace

RepoResult poll_repository(const RepoConfig& r, Logger& log, const std::atomic<bool>* cancel) {
  RepoResult res;
  try {
    RepoPoll(r, log, cancel, res).run();
  } catch (const GitFailure& e) {
    res.error = fmt::format("git {}: {}", e.what(), short_detail(e.detail));
  } catch (const std::exception& e) {
    res.error = e.what();
  }
  return res;
}

nlohmann::json status_to_json(const std::vector<RepoStatus>& s) {
  auto arr = nlohmann::json::array();
  for (const auto& r : s) {
    arr.push_back({{"name", r.name},
                   {"url", redact_url(r.url)},
                   {"gitdir", r.gitdir},
                   {"last_attempt", r.last_attempt},
                   {"last_success", r.last_success},
                   {"last_error", r.last_error},
                   {"last_error_time", r.last_error_time},
                   {"next_poll", r.next_poll},
                   {"pending", r.pending},
                   {"consecutive_failures", r.consecutive_failures},
                   {"delivered_total", r.delivered_total}});
  }
  return {{"repositories", arr}};
}

std::chrono::seconds backoff_delay(std::chrono::seconds interval, int failures,
                                   std::chrono::seconds max_backoff) {
  auto base = std::min(interval, std::chrono::seconds(30));
  auto d = base;
  for (int i = 1; i < failures && d < max_backoff; ++i) d *= 2;
  return std::min(d, max_backoff);
}

namespace {
int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

namespace {

using Clock = std::chrono::steady_clock;

struct Entry {
  RepoConfig cfg;
  RepoStatus status;
  Clock::time_point due;
  bool running = false, done = false;
  int org = -1;          // index of the organization that listed it
  bool removed = false;  // left its organization: no longer polled, not in the status
  bool prune = false;    // ... and its mirror is to be removed once it is not running
};

struct Org {
  const OrgConfig* cfg;
  std::unique_ptr<OrgLister> lister;
  Clock::time_point due;
  bool running = false, done = false, seeded = false;
  int failures = 0;
};

std::string gitdir_key(const RepoConfig& r) {
  return fs::absolute(r.gitdir).lexically_normal().string();
}

// The scheduler: worker threads share one list of repositories and organizations under one
// mutex, each taking the next due organization listing or repository poll.
class Poller {
 public:
  Poller(const PollConfig& cfg, Logger& log, const RunOptions& opts)
      : cfg_(cfg), log_(log), opts_(opts) {
    for (const auto& r : cfg_.repos) add_entry(r, -1);
    for (const auto& o : cfg_.orgs)
      orgs_.push_back({&o, std::make_unique<OrgLister>(o), Clock::now()});
  }

  int run() {
    int n = std::max(1, std::min<int>(cfg_.concurrency,
                                      orgs_.empty() ? static_cast<int>(entries_.size()) : 1 << 10));
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) threads.emplace_back([this] { work(); });
    for (auto& t : threads) t.join();
    {
      std::lock_guard lock(mu_);
      write_status();
    }
    int failed = 0;
    for (const auto& e : entries_)
      if (!e.removed && e.status.consecutive_failures > 0) ++failed;
    for (const auto& o : orgs_)
      if (o.failures > 0) ++failed;
    return failed;
  }

 private:
  bool stopped() const { return opts_.stop && opts_.stop->load(); }

  bool add_entry(const RepoConfig& r, int org) {  // with mu_ held (or before workers)
    if (!gitdirs_.insert(gitdir_key(r)).second) return false;
    Entry e{r, {}, Clock::now()};
    e.org = org;
    e.status.name = r.name;
    e.status.url = r.url;
    e.status.gitdir = r.gitdir.string();
    entries_.push_back(std::move(e));
    return true;
  }

  // Removes a mirror that left its organization (prune-mirrors): the mirror, the state of
  // every hook consumer, and leftovers of an interrupted clone.
  void prune_mirror(const RepoConfig& r) {
    std::error_code ec;
    fs::remove_all(r.gitdir, ec);
    fs::remove_all(fs::path(r.gitdir.string() + ".tmp-clone"), ec);
    fs::remove(consumer_state_file(r, ""), ec);
    if (r.hook)
      for (const auto& p : r.hook->projects) fs::remove(consumer_state_file(r, p), ec);
    log_.line(r.name, fmt::format("mirror {} and its delivered state removed (prune-mirrors)",
                                  r.gitdir.string()));
  }

  void write_status() {  // with mu_ held
    if (cfg_.status_file.empty()) return;
    std::vector<RepoStatus> s;
    for (const auto& e : entries_)
      if (!e.removed) s.push_back(e.status);
    try {
      write_file_atomic(cfg_.status_file, dump_json(status_to_json(s), 2) + "\n");
    } catch (const std::exception& e) {
      log_.line("status", e.what());
    }
  }

  // One worker thread: organization listings first, then the repository due soonest.
  void work() {
    std::unique_lock lock(mu_);
    for (;;) {
      if (stopped()) return;
      if (Org* org = due_org()) {
        list_org(*org, lock);
        cv_.notify_all();
        continue;
      }
      auto next = Clock::now() + std::chrono::milliseconds(200);
      bool all_done = true;
      Entry* pick = due_entry(next, all_done);
      if (all_done && opts_.once) return;
      if (!pick) {
        cv_.wait_until(lock, next);
        continue;
      }
      poll_entry(*pick, lock);
      cv_.notify_all();
    }
  }

  Org* due_org() {  // with mu_ held
    Org* org = nullptr;
    for (auto& o : orgs_)
      if (!o.running && !o.done && o.due <= Clock::now()) org = &o;
    return org;
  }

  // The repository due earliest (nullptr: none due yet; `next` is then when to look again).
  Entry* due_entry(Clock::time_point& next, bool& all_done) {  // with mu_ held
    Entry* pick = nullptr;
    for (auto& o : orgs_)
      if (!o.done) all_done = false;
    for (auto& e : entries_) {
      if (!e.done) all_done = false;
      if (e.running || e.done) continue;
      if (e.due <= Clock::now()) {
        if (!pick || e.due < pick->due) pick = &e;
      } else {
        next = std::min(next, e.due);
      }
    }
    return pick;
  }

  // Lists one organization without the lock, then adds and drops repositories as it says.
  void list_org(Org& org, std::unique_lock<std::mutex>& lock) {
    org.running = true;
    int org_index = static_cast<int>(&org - orgs_.data());
    lock.unlock();
    std::vector<RepoConfig> found, before;
    std::string error;
    std::optional<int64_t> limited_until;
    try {
      before = org_repositories(*org.cfg, org.lister->known());
      found = org_repositories(*org.cfg, org.lister->list(opts_.stop));
    } catch (const RateLimited& e) {
      error = e.what();
      limited_until = e.until;
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    org.running = false;
    if (opts_.once) org.done = true;
    if (!error.empty() && !org.seeded && !before.empty()) {
      // The API cannot be asked now: keep polling the repositories the last listing
      // named (from the cache), so a rate limit or an outage delays only new ones.
      for (const auto& r : before) add_entry(r, org_index);
      log_.line(org.cfg->name,
                fmt::format("polling the {} repositories of the last listing", before.size()));
    }
    if (error.empty()) {
      apply_listing(org, org_index, found, before);
    } else if (limited_until) {
      // Not a failure: the API said when to come back.
      auto delay = std::chrono::seconds(std::max<int64_t>(*limited_until - unix_now(), 1));
      org.due = Clock::now() + delay;
      log_.line(org.cfg->name,
                fmt::format("listing skipped: {} (next listing in {} s)", error, delay.count()));
    } else {
      ++org.failures;
      auto delay = backoff_delay(org.cfg->enumerate_interval, org.failures, cfg_.max_backoff);
      org.due = Clock::now() + delay;
      log_.line(org.cfg->name,
                fmt::format("listing failed: {} (retry in {} s)", error, delay.count()));
    }
  }

  void apply_listing(Org& org, int org_index, const std::vector<RepoConfig>& found,
                     const std::vector<RepoConfig>& before) {  // with mu_ held
    org.seeded = true;
    int added = 0;
    for (const auto& r : found) added += add_entry(r, org_index) ? 1 : 0;
    drop_unlisted(org, org_index, found, before);
    org.failures = 0;
    org.due = Clock::now() + org.cfg->enumerate_interval;
    log_.line(org.cfg->name,
              fmt::format("{} repositories listed, {} new ({} requests, {} not modified)",
                          found.size(), added, org.lister->requests(), org.lister->not_modified()));
  }

  // Repositories no longer listed (deleted, transferred, now archived or disabled).
  void drop_unlisted(const Org& org, int org_index, const std::vector<RepoConfig>& found,
                     const std::vector<RepoConfig>& before) {  // with mu_ held
    std::set<std::string> now_listed;
    for (const auto& r : found) now_listed.insert(gitdir_key(r));
    std::set<std::string> gone_known;
    for (auto& e : entries_) {
      if (e.org != org_index || e.removed || now_listed.count(gitdir_key(e.cfg))) continue;
      e.removed = true;
      e.done = true;
      gitdirs_.erase(gitdir_key(e.cfg));
      gone_known.insert(gitdir_key(e.cfg));
      log_.line(e.cfg.name, fmt::format("no longer listed by {} (deleted, transferred, archived or "
                                        "disabled): not polled any more; mirror {}",
                                        org.cfg->org, org.cfg->prune_mirrors ? "removed" : "kept"));
      if (org.cfg->prune_mirrors) {
        if (e.running)
          e.prune = true;
        else
          prune_mirror(e.cfg);
      }
    }
    // Also those an earlier run listed (this process never polled them).
    for (const auto& r : before) {
      auto key = gitdir_key(r);
      if (now_listed.count(key) || gone_known.count(key) || gitdirs_.count(key)) continue;
      log_.line(r.name, fmt::format("no longer listed by {}: mirror {}", org.cfg->org,
                                    org.cfg->prune_mirrors ? "removed" : "kept"));
      if (org.cfg->prune_mirrors) prune_mirror(r);
    }
  }

  // Polls one repository without the lock, then records the outcome and schedules the next.
  void poll_entry(Entry& e, std::unique_lock<std::mutex>& lock) {
    e.running = true;
    e.status.last_attempt = unix_now();
    lock.unlock();
    auto t0 = Clock::now();
    RepoResult res = poll_repository(e.cfg, log_, opts_.stop);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    lock.lock();
    auto& st = e.status;
    bool had_failures = st.consecutive_failures > 0 || st.pending > 0;
    st.pending = res.pending;
    st.delivered_total += res.delivered;
    std::chrono::seconds delay = e.cfg.poll_interval;
    if (res.ok) {
      st.last_success = unix_now();
      st.consecutive_failures = 0;
    } else if (stopped()) {
      // Cut short by shutdown, not a fault of the remote: nothing was delivered, so the
      // next start redoes it; counting it would make a clean stop look like a failure.
      log_.line(e.cfg.name, fmt::format("poll interrupted by shutdown after {} ms", ms));
    } else {
      st.last_error = res.error;
      st.last_error_time = unix_now();
      ++st.consecutive_failures;
      delay = backoff_delay(e.cfg.poll_interval, st.consecutive_failures, cfg_.max_backoff);
      log_.line(e.cfg.name, fmt::format("poll failed after {} ms: {} (retry in {} s)", ms,
                                        res.error, delay.count()));
    }
    e.due = Clock::now() + delay;
    st.next_poll = unix_now() + delay.count();
    e.running = false;
    if (opts_.once) e.done = true;
    if (e.prune) {
      e.prune = false;
      prune_mirror(e.cfg);
    }
    // The status file is rewritten (and synced) when something happened, and otherwise at
    // most once a second: on a quiet poll of many repositories it would dominate.
    bool news = !res.ok || res.delivered || res.cloned || res.pending || had_failures;
    if (news || Clock::now() - last_status_ >= std::chrono::seconds(1)) {
      write_status();
      last_status_ = Clock::now();
    }
  }

  const PollConfig& cfg_;
  Logger& log_;
  const RunOptions& opts_;
  std::deque<Entry> entries_;  // a deque: workers hold pointers while orgs add entries
  std::set<std::string> gitdirs_;
  std::vector<Org> orgs_;
  std::mutex mu_;
  std::condition_variable cv_;
  Clock::time_point last_status_ = Clock::now() - std::chrono::hours(1);
};

}  // namespace

int run_poller(const PollConfig& cfg, Logger& log, const RunOptions& opts) {
  return Poller(cfg, log, opts).run();
}

}  // namespace integral::poll
