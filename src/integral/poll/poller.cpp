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

RepoResult poll_repository(const RepoConfig& r, Logger& log, const std::atomic<bool>* cancel) {
  RepoResult res;
  try {
    Mirror m(r, cancel);
    std::vector<Consumer> consumers;
    if (r.hook) {
      if (r.hook->projects.empty())
        consumers.push_back({"", consumer_state_file(r, ""), false, {}});
      for (const auto& p : r.hook->projects)
        consumers.push_back({p, consumer_state_file(r, p), false, {}});
    }
    for (auto& c : consumers) c.have = load_state(c.file, c.delivered);

    RefMap current;
    bool usable = m.present();
    RefMap local;
    if (usable) {
      try {
        local = m.local_refs();
      } catch (const GitFailure& e) {
        log.line(r.name, fmt::format("mirror unreadable ({}: {}); re-cloning", e.what(),
                                     short_detail(e.detail)));
        usable = false;
      }
    }
    auto reclone = [&] {
      RefMap refs = m.clone_to_temp();
      // Baselines for consumers seeing this repository for the first time are written
      // before the mirror is installed: a crash in between re-clones and re-baselines.
      bool baseline = false;
      for (auto& c : consumers)
        if (!c.have) {
          c.delivered = r.hook->on_clone ? RefMap{} : refs;
          store_state(c.file, c.delivered);
          c.have = baseline = true;
        }
      if (!consumers.empty()) {
        try {
          m.keep_objects(kept_ids(consumers), m.temp_dir());
        } catch (const GitFailure& e) {
          // Delivered objects the new clone lacks (a broken mirror replaced): nothing to keep.
          log.line(r.name, fmt::format("keeping delivered objects: {}", short_detail(e.detail)));
        }
      }
      m.install_temp();
      res.cloned = res.fetched = true;
      log.line(r.name, fmt::format("cloned {} ({} refs){}", redact_url(r.url), refs.size(),
                                   baseline ? ", baseline recorded" : ""));
      return refs;
    };

    if (!usable) {
      current = reclone();
    } else {
      // A consumer without state (hook added, or state lost): its baseline is the mirror as it
      // was before this fetch, so moves fetched now are delivered.
      bool baseline = false;
      for (auto& c : consumers)
        if (!c.have) {
          c.delivered = local;
          store_state(c.file, c.delivered);
          c.have = baseline = true;
        }
      if (baseline) m.keep_objects(kept_ids(consumers));
      RefMap remote = m.remote_refs();
      if (remote == local) {
        current = std::move(local);
      } else {
        try {
          m.fetch();
          current = m.local_refs();
        } catch (const GitFailure& e) {
          // The remote answered ls-remote, so the mirror is the likely culprit.
          log.line(r.name, fmt::format("{} ({}); re-cloning", e.what(), short_detail(e.detail)));
          current = reclone();
        }
        res.fetched = true;
      }
    }

    // A hook is told about objects it will look up in the mirror: a mirror that lost them
    // (deleted packs, a damaged disk) is replaced before any hook runs.
    {
      std::set<std::string> wanted;
      for (const auto& c : consumers)
        for (const auto& u : diff_refs(c.delivered, current))
          if (!is_zero_id(u.new_id)) wanted.insert(u.new_id);
      if (!wanted.empty() && !res.cloned) {
        auto missing = m.missing_objects({wanted.begin(), wanted.end()});
        if (!missing.empty()) {
          log.line(r.name, fmt::format("mirror lacks {} object(s) it has refs for, e.g. {}; "
                                       "re-cloning",
                                       missing.size(), missing.front()));
          current = reclone();
        }
      }
    }

    bool changed_state = false;
    std::string failure;
    for (auto& c : consumers) {
      auto updates = diff_refs(c.delivered, current);
      if (updates.empty()) continue;
      std::string who = c.project.empty() ? "hook" : "hook (project " + c.project + ")";
      auto out = run_hook(*r.hook, c.project, r.gitdir, updates, cancel);
      if (!out.output.empty()) log.output(r.name, who, out.output);
      if (!out.ok) {
        res.pending += updates.size();
        if (failure.empty())
          failure =
              fmt::format("{} failed ({}); {} update(s) pending", who, out.summary, updates.size());
        continue;
      }
      // Between the hook's success and this write is the only window for duplicates.
      store_state(c.file, current);
      c.delivered = current;
      changed_state = true;
      res.delivered += updates.size();
      log.line(r.name,
               fmt::format("{} delivered {} update(s): {}", who, updates.size(), out.summary));
    }
    if (changed_state) {
      try {
        m.keep_objects(kept_ids(consumers));
      } catch (const GitFailure& e) {
        log.line(r.name, fmt::format("keeping delivered objects: {}", short_detail(e.detail)));
      }
    }
    if (!failure.empty()) {
      res.error = failure;
      return res;
    }
    res.ok = true;
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

int run_poller(const PollConfig& cfg, Logger& log, const RunOptions& opts) {
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
  std::deque<Entry> entries;  // a deque: workers hold pointers while orgs add entries
  std::set<std::string> gitdirs;
  auto gitdir_key = [](const RepoConfig& r) {
    return fs::absolute(r.gitdir).lexically_normal().string();
  };
  auto add_entry = [&](const RepoConfig& r, int org) {  // with mu held (or before workers)
    if (!gitdirs.insert(gitdir_key(r)).second) return false;
    Entry e{r, {}, Clock::now()};
    e.org = org;
    e.status.name = r.name;
    e.status.url = r.url;
    e.status.gitdir = r.gitdir.string();
    entries.push_back(std::move(e));
    return true;
  };
  for (const auto& r : cfg.repos) add_entry(r, -1);
  // Removes a mirror that left its organization (prune-mirrors): the mirror, the state of
  // every hook consumer, and leftovers of an interrupted clone.
  auto prune_mirror = [&](const RepoConfig& r) {
    std::error_code ec;
    fs::remove_all(r.gitdir, ec);
    fs::remove_all(fs::path(r.gitdir.string() + ".tmp-clone"), ec);
    fs::remove(consumer_state_file(r, ""), ec);
    if (r.hook)
      for (const auto& p : r.hook->projects) fs::remove(consumer_state_file(r, p), ec);
    log.line(r.name, fmt::format("mirror {} and its delivered state removed (prune-mirrors)",
                                 r.gitdir.string()));
  };
  std::vector<Org> orgs;
  for (const auto& o : cfg.orgs) orgs.push_back({&o, std::make_unique<OrgLister>(o), Clock::now()});
  std::mutex mu;
  std::condition_variable cv;
  auto last_status = Clock::now() - std::chrono::hours(1);
  auto stopped = [&] { return opts.stop && opts.stop->load(); };

  auto write_status = [&] {  // with mu held
    if (cfg.status_file.empty()) return;
    std::vector<RepoStatus> s;
    for (const auto& e : entries)
      if (!e.removed) s.push_back(e.status);
    try {
      write_file_atomic(cfg.status_file, dump_json(status_to_json(s), 2) + "\n");
    } catch (const std::exception& e) {
      log.line("status", e.what());
    }
  };

  auto worker = [&] {
    std::unique_lock lock(mu);
    for (;;) {
      if (stopped()) return;
      Org* org = nullptr;
      for (auto& o : orgs)
        if (!o.running && !o.done && o.due <= Clock::now()) org = &o;
      if (org) {
        org->running = true;
        int org_index = static_cast<int>(org - orgs.data());
        lock.unlock();
        std::vector<RepoConfig> found, before;
        std::string error;
        std::optional<int64_t> limited_until;
        try {
          before = org_repositories(*org->cfg, org->lister->known());
          found = org_repositories(*org->cfg, org->lister->list(opts.stop));
        } catch (const RateLimited& e) {
          error = e.what();
          limited_until = e.until;
        } catch (const std::exception& e) {
          error = e.what();
        }
        lock.lock();
        org->running = false;
        if (opts.once) org->done = true;
        if (!error.empty() && !org->seeded && !before.empty()) {
          // The API cannot be asked now: keep polling the repositories the last listing
          // named (from the cache), so a rate limit or an outage delays only new ones.
          for (const auto& r : before) add_entry(r, org_index);
          log.line(org->cfg->name,
                   fmt::format("polling the {} repositories of the last listing", before.size()));
        }
        if (error.empty()) {
          org->seeded = true;
          int added = 0;
          for (const auto& r : found) added += add_entry(r, org_index) ? 1 : 0;
          // Repositories no longer listed (deleted, transferred, now archived or disabled).
          std::set<std::string> now_listed;
          for (const auto& r : found) now_listed.insert(gitdir_key(r));
          std::set<std::string> gone_known;
          for (auto& e : entries) {
            if (e.org != org_index || e.removed || now_listed.count(gitdir_key(e.cfg))) continue;
            e.removed = true;
            e.done = true;
            gitdirs.erase(gitdir_key(e.cfg));
            gone_known.insert(gitdir_key(e.cfg));
            log.line(e.cfg.name,
                     fmt::format("no longer listed by {} (deleted, transferred, archived or "
                                 "disabled): not polled any more; mirror {}",
                                 org->cfg->org, org->cfg->prune_mirrors ? "removed" : "kept"));
            if (org->cfg->prune_mirrors) {
              if (e.running)
                e.prune = true;
              else
                prune_mirror(e.cfg);
            }
          }
          // Also those an earlier run listed (this process never polled them).
          for (const auto& r : before) {
            auto key = gitdir_key(r);
            if (now_listed.count(key) || gone_known.count(key) || gitdirs.count(key)) continue;
            log.line(r.name, fmt::format("no longer listed by {}: mirror {}", org->cfg->org,
                                         org->cfg->prune_mirrors ? "removed" : "kept"));
            if (org->cfg->prune_mirrors) prune_mirror(r);
          }
          org->failures = 0;
          org->due = Clock::now() + org->cfg->enumerate_interval;
          log.line(org->cfg->name,
                   fmt::format("{} repositories listed, {} new ({} requests, {} not modified)",
                               found.size(), added, org->lister->requests(),
                               org->lister->not_modified()));
        } else if (limited_until) {
          // Not a failure: the API said when to come back.
          auto delay = std::chrono::seconds(std::max<int64_t>(*limited_until - unix_now(), 1));
          org->due = Clock::now() + delay;
          log.line(org->cfg->name,
                   fmt::format("listing skipped: {} (next listing in {} s)", error, delay.count()));
        } else {
          ++org->failures;
          auto delay = backoff_delay(org->cfg->enumerate_interval, org->failures, cfg.max_backoff);
          org->due = Clock::now() + delay;
          log.line(org->cfg->name,
                   fmt::format("listing failed: {} (retry in {} s)", error, delay.count()));
        }
        cv.notify_all();
        continue;
      }
      Entry* pick = nullptr;
      auto next = Clock::now() + std::chrono::milliseconds(200);
      bool all_done = true;
      for (auto& o : orgs)
        if (!o.done) all_done = false;
      for (auto& e : entries) {
        if (!e.done) all_done = false;
        if (e.running || e.done) continue;
        if (e.due <= Clock::now()) {
          if (!pick || e.due < pick->due) pick = &e;
        } else {
          next = std::min(next, e.due);
        }
      }
      if (all_done && opts.once) return;
      if (!pick) {
        cv.wait_until(lock, next);
        continue;
      }
      pick->running = true;
      pick->status.last_attempt = unix_now();
      lock.unlock();
      auto t0 = Clock::now();
      RepoResult res = poll_repository(pick->cfg, log, opts.stop);
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
      lock.lock();
      auto& st = pick->status;
      bool had_failures = st.consecutive_failures > 0 || st.pending > 0;
      st.pending = res.pending;
      st.delivered_total += res.delivered;
      std::chrono::seconds delay = pick->cfg.poll_interval;
      if (res.ok) {
        st.last_success = unix_now();
        st.consecutive_failures = 0;
      } else if (stopped()) {
        // Cut short by shutdown, not a fault of the remote: nothing was delivered, so the
        // next start redoes it; counting it would make a clean stop look like a failure.
        log.line(pick->cfg.name, fmt::format("poll interrupted by shutdown after {} ms", ms));
      } else {
        st.last_error = res.error;
        st.last_error_time = unix_now();
        ++st.consecutive_failures;
        delay = backoff_delay(pick->cfg.poll_interval, st.consecutive_failures, cfg.max_backoff);
        log.line(pick->cfg.name, fmt::format("poll failed after {} ms: {} (retry in {} s)", ms,
                                             res.error, delay.count()));
      }
      pick->due = Clock::now() + delay;
      st.next_poll = unix_now() + delay.count();
      pick->running = false;
      if (opts.once) pick->done = true;
      if (pick->prune) {
        pick->prune = false;
        prune_mirror(pick->cfg);
      }
      // The status file is rewritten (and synced) when something happened, and otherwise at
      // most once a second: on a quiet poll of many repositories it would dominate.
      bool news = !res.ok || res.delivered || res.cloned || res.pending || had_failures;
      if (news || Clock::now() - last_status >= std::chrono::seconds(1)) {
        write_status();
        last_status = Clock::now();
      }
      cv.notify_all();
    }
  };

  int n = std::max(
      1, std::min<int>(cfg.concurrency, orgs.empty() ? static_cast<int>(entries.size()) : 1 << 10));
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  {
    std::lock_guard lock(mu);
    write_status();
  }
  int failed = 0;
  for (const auto& e : entries)
    if (!e.removed && e.status.consecutive_failures > 0) ++failed;
  for (const auto& o : orgs)
    if (o.failures > 0) ++failed;
  return failed;
}

}  // namespace integral::poll
