#include "integral/poll/github.h"

#include <gtest/gtest.h>

#include "integral/util/error.h"

namespace integral::poll {
namespace {

TEST(GitHub, LinkHeaderNext) {
  // the form GitHub documents for paginated answers
  EXPECT_EQ(link_next("<https://api.github.com/organizations/1/repos?per_page=100&page=2>; "
                      "rel=\"next\", <https://api.github.com/organizations/1/repos?per_page=100&"
                      "page=5>; rel=\"last\""),
            "https://api.github.com/organizations/1/repos?per_page=100&page=2");
  EXPECT_EQ(link_next("<https://x/a?page=1>; rel=\"prev\", <https://x/a?page=3>; rel=\"next\""),
            "https://x/a?page=3");
  EXPECT_FALSE(
      link_next("<https://x/a?page=1>; rel=\"prev\", <https://x/a?page=1>; rel=\"first\""));
  EXPECT_FALSE(link_next(""));
}

TEST(GitHub, ReposPageAndFilters) {
  auto repos = parse_repos_page(R"([
    {"name": "a", "clone_url": "https://github.com/o/a.git", "ssh_url": "git@github.com:o/a.git",
     "archived": false, "disabled": false, "fork": false, "git_url": "git://github.com/o/a.git"},
    {"name": "old", "clone_url": "https://github.com/o/old.git", "archived": true},
    {"name": "gone", "clone_url": "https://github.com/o/gone.git", "disabled": true},
    {"name": "fork", "clone_url": "https://github.com/o/fork.git", "fork": true}
  ])",
                                "page");
  ASSERT_EQ(repos.size(), 4u);
  OrgConfig org;
  org.org = "o";
  org.basedir = "/m";
  auto got = org_repositories(org, repos);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].name, "o/a");
  EXPECT_EQ(got[0].url, "https://github.com/o/a.git");  // never git_url (git:// is off)
  EXPECT_EQ(got[0].gitdir, "/m/a.git");
  EXPECT_EQ(got[1].name, "o/fork");
  org.include_forks = false;
  org.url_field = "ssh_url";
  got = org_repositories(org, repos);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].url, "git@github.com:o/a.git");
  EXPECT_THROW(parse_repos_page("{}", "p"), Error);
  EXPECT_THROW(parse_repos_page("[{\"name\": \"../x\"}]", "p"), Error);
  EXPECT_THROW(parse_repos_page("[{\"nom\": 1}]", "p"), Error);
  EXPECT_THROW(parse_repos_page("[", "p"), Error);
}

TEST(GitHub, RateLimitWaitFromHeaders) {
  // GitHub's documented forms: Retry-After seconds; X-RateLimit-Remaining 0 with the reset
  // time in epoch seconds; a secondary limit as 403 or 429.
  EXPECT_EQ(rate_limit_wait(429, "30", "", "", 1000), 30);
  EXPECT_EQ(rate_limit_wait(403, "5", "17", "", 1000), 5);
  EXPECT_EQ(rate_limit_wait(403, "", "0", "1090", 1000), 90);
  EXPECT_EQ(rate_limit_wait(403, "", "0", "900", 1000), 1);  // reset already passed
  EXPECT_EQ(rate_limit_wait(403, "", "0", "", 1000), 60);
  EXPECT_EQ(rate_limit_wait(429, "", "", "", 1000), 60);
  EXPECT_FALSE(rate_limit_wait(403, "", "42", "1090", 1000));  // a permission error
  EXPECT_FALSE(rate_limit_wait(200, "30", "0", "1090", 1000));
  EXPECT_FALSE(rate_limit_wait(404, "", "0", "", 1000));
  EXPECT_EQ(rate_limit_wait(429, "soon", "", "", 1000), 60);  // not a number: the default
}

TEST(GitHub, TokenGoesOnlyToTheApisSite) {
  EXPECT_EQ(token_origin_of_api("https://api.github.com"), "https://github.com");
  EXPECT_EQ(token_origin_of_api("https://ghe.example.org/api/v3"), "https://ghe.example.org");
  EXPECT_EQ(token_origin_of_api("http://127.0.0.1:8080/api/v3"), "http://127.0.0.1:8080");
  OrgConfig org;
  org.org = "o";
  org.repo_template.token_origin = token_origin_of_api(org.api_url);
  auto got = org_repositories(
      org, parse_repos_page(R"([{"name": "a", "clone_url": "https://github.com/o/a.git"}])", "p"));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].token_origin, "https://github.com");
}

}  // namespace
}  // namespace integral::poll
