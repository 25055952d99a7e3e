// Listing a GitHub (or GitHub Enterprise) organization's repositories through the REST API:
// GET {api}/orgs/{org}/repos?per_page=100, following Link rel="next", with User-Agent, the
// API version header, a Bearer token when configured, and ETag revalidation (a 304 costs no
// rate limit). HTTP through libcurl.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "integral/poll/config.h"

namespace integral::poll {

struct OrgRepo {
  std::string name, clone_url, ssh_url;
  bool archived = false, disabled = false, fork = false;
};

// The rel="next" URL of a Link header, if any.
std::optional<std::string> link_next(std::string_view link_header);

// One page of /orgs/{org}/repos (a JSON array); `source` names it in errors.
std::vector<OrgRepo> parse_repos_page(std::string_view json, const std::string& source);

// The repositories of `org` to mirror: archived/disabled skipped (unless included), forks by
// policy; gitdir basedir/<name>.git, hook and refs from the org section.
std::vector<RepoConfig> org_repositories(const OrgConfig& org, const std::vector<OrgRepo>& repos);

// The API asked us to wait (403/429 with Retry-After, or X-RateLimit-Remaining: 0) longer
// than rate-limit-wait: this enumeration is skipped until `until` (unix seconds).
struct RateLimited : std::runtime_error {
  RateLimited(const std::string& what, int64_t until_) : std::runtime_error(what), until(until_) {}
  int64_t until;
};

// Seconds to wait before retrying a rate-limited answer, from its headers (`now` in unix
// seconds), or nullopt when the answer is no rate limit (a plain 403 is an error).
std::optional<int64_t> rate_limit_wait(long status, const std::string& retry_after,
                                       const std::string& remaining, const std::string& reset,
                                       int64_t now);

class OrgLister {
 public:
  // The ETag cache persists in <basedir>/.integral-org-cache.json, so revalidation works
  // across runs (cron, --once) too.
  explicit OrgLister(const OrgConfig& org);
  // Every page; pages answered 304 come from the cache. Throws Error on HTTP failures and
  // RateLimited when the API asks for a longer wait than the configuration allows (shorter
  // waits are slept here, ending early when *cancel is set).
  std::vector<OrgRepo> list(const std::atomic<bool>* cancel = nullptr);
  // The last complete listing this lister knows (from its cache file or an earlier list()):
  // the repositories to keep polling while the API cannot be asked.
  std::vector<OrgRepo> known() const;
  int rate_limited() const { return rate_limited_; }
  int requests() const { return requests_; }
  int not_modified() const { return not_modified_; }

 private:
  struct Cached {
    std::string etag;
    std::vector<OrgRepo> repos;
    std::optional<std::string> next;
  };
  void load_cache();
  void save_cache() const;
  const OrgConfig& org_;
  std::string token_;
  std::map<std::string, Cached> cache_;
  std::string first_url() const;
  int requests_ = 0, not_modified_ = 0, rate_limited_ = 0;
};

}  // namespace integral::poll
