// Listing a GitHub (or GitHub Enterprise) organization's repositories through the REST API:
// GET {api}/orgs/{org}/repos?per_page=100, following Link rel="next", with User-Agent, the
// API version header, a Bearer token when configured, and ETag revalidation (a 304 costs no
// rate limit). HTTP through libcurl.
#pragma once

#include <map>
#include <optional>
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

class OrgLister {
 public:
  // The ETag cache persists in <basedir>/.integral-org-cache.json, so revalidation works
  // across runs (cron, --once) too.
  explicit OrgLister(const OrgConfig& org);
  // Every page; pages answered 304 come from the cache. Throws Error on HTTP failures.
  std::vector<OrgRepo> list();
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
  int requests_ = 0, not_modified_ = 0;
};

}  // namespace integral::poll
