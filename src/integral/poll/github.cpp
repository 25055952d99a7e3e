#include "integral/poll/github.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/json_io.h"

namespace integral::poll {

std::optional<std::string> link_next(std::string_view h) {
  // <url>; rel="next", <url>; rel="last"
  size_t pos = 0;
  while (pos < h.size()) {
    auto lt = h.find('<', pos);
    if (lt == std::string_view::npos) break;
    auto gt = h.find('>', lt);
    if (gt == std::string_view::npos) break;
    auto end = h.find('<', gt);
    std::string_view params =
        h.substr(gt + 1, (end == std::string_view::npos ? h.size() : end) - gt - 1);
    if (params.find("rel=\"next\"") != std::string_view::npos ||
        params.find("rel=next") != std::string_view::npos)
      return std::string(h.substr(lt + 1, gt - lt - 1));
    pos = gt + 1;
  }
  return std::nullopt;
}

std::vector<OrgRepo> parse_repos_page(std::string_view json, const std::string& source) {
  const nlohmann::json j = parse_json_input(json, source);
  if (!j.is_array()) throw_bad_input("expected a JSON array of repositories", source);
  std::vector<OrgRepo> out;
  for (const auto& r : j) {
    if (!r.is_object() || !r.contains("name") || !r["name"].is_string())
      throw_bad_input("a repository without a name", source);
    OrgRepo o;
    o.name = r["name"].get<std::string>();
    // A name becomes a directory: refuse anything GitHub would not allow.
    if (o.name.empty() || o.name == "." || o.name == ".." ||
        o.name.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
            std::string::npos)
      throw_bad_input(fmt::format("unusable repository name '{}'", o.name), source);
    auto str = [&](const char* k) {
      return r.contains(k) && r[k].is_string() ? r[k].get<std::string>() : std::string();
    };
    auto flag = [&](const char* k) {
      return r.contains(k) && r[k].is_boolean() && r[k].get<bool>();
    };
    o.clone_url = str("clone_url");
    o.ssh_url = str("ssh_url");
    o.archived = flag("archived");
    o.disabled = flag("disabled");
    o.fork = flag("fork");
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<RepoConfig> org_repositories(const OrgConfig& org, const std::vector<OrgRepo>& repos) {
  std::vector<RepoConfig> out;
  for (const auto& r : repos) {
    if (r.disabled || (r.archived && !org.include_archived) || (r.fork && !org.include_forks))
      continue;
    RepoConfig c = org.repo_template;
    c.name = org.org + "/" + r.name;
    c.url = org.url_field == "ssh_url" ? r.ssh_url : r.clone_url;
    if (c.url.empty()) continue;
    c.gitdir = org.basedir / (r.name + ".git");
    c.token_origin = org.repo_template.token_origin;
    c.state_file = c.gitdir.string() + ".delivered";
    out.push_back(std::move(c));
  }
  return out;
}

namespace {

struct Response {
  long status = 0;
  std::string body, etag, link, retry_after, remaining, reset;
};

size_t on_body(char* p, size_t size, size_t n, void* ud) {
  auto* r = static_cast<Response*>(ud);
  if (r->body.size() + size * n > (64u << 20)) return 0;  // a runaway answer aborts
  r->body.append(p, size * n);
  return size * n;
}

size_t on_header(char* p, size_t size, size_t n, void* ud) {
  auto* r = static_cast<Response*>(ud);
  std::string_view h(p, size * n);
  auto colon = h.find(':');
  if (colon != std::string_view::npos) {
    std::string name(h.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto v = h.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
      v.remove_suffix(1);
    if (name == "etag") r->etag = v;
    if (name == "link") r->link = v;
    if (name == "retry-after") r->retry_after = v;
    if (name == "x-ratelimit-remaining") r->remaining = v;
    if (name == "x-ratelimit-reset") r->reset = v;
  }
  return size * n;
}

Response http_get(const std::string& url, const std::string& token, const std::string& etag,
                  long timeout_s) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, void (*)(CURL*)> h(curl_easy_init(), curl_easy_cleanup);
  if (!h) throw_environment("curl_easy_init failed");
  curl_slist* hdrs = nullptr;
  hdrs = curl_slist_append(hdrs, "Accept: application/vnd.github+json");
  hdrs = curl_slist_append(hdrs, "X-GitHub-Api-Version: 2022-11-28");
  if (!token.empty()) hdrs = curl_slist_append(hdrs, ("Authorization: Bearer " + token).c_str());
  if (!etag.empty()) hdrs = curl_slist_append(hdrs, ("If-None-Match: " + etag).c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> hdr_guard(hdrs, curl_slist_free_all);
  Response r;
  curl_easy_setopt(h.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(h.get(), CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h.get(), CURLOPT_USERAGENT, "integral-poll/0.1");
  curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(h.get(), CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h.get(), CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(h.get(), CURLOPT_TIMEOUT, timeout_s);
  curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  // Redirects would carry the token to wherever they point; GitHub's API does not need them.
  curl_easy_setopt(h.get(), CURLOPT_FOLLOWLOCATION, 0L);
  CURLcode rc = curl_easy_perform(h.get());
  if (rc != CURLE_OK) throw_environment(fmt::format("GET {}: {}", url, curl_easy_strerror(rc)));
  curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

}  // namespace

std::optional<int64_t> rate_limit_wait(long status, const std::string& retry_after,
                                       const std::string& remaining, const std::string& reset,
                                       int64_t now) {
  auto number = [](const std::string& s) -> std::optional<int64_t> {
    if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    return std::stoll(s);
  };
  if (status != 403 && status != 429) return std::nullopt;
  // GitHub documents Retry-After in seconds (the HTTP-date form is not used by its API).
  if (auto s = number(retry_after)) return std::max<int64_t>(*s, 1);
  if (remaining == "0") {
    if (auto t = number(reset)) return std::max<int64_t>(*t - now, 1);
    return 60;  // exhausted without a reset time: GitHub's advice is to wait a minute
  }
  // A 429 without headers is still "slow down"; a bare 403 is a permission error.
  if (status == 429) return 60;
  return std::nullopt;
}

OrgLister::OrgLister(const OrgConfig& org) : org_(org), token_(read_token(org.repo_template)) {
  load_cache();
}

namespace {
std::filesystem::path cache_path(const OrgConfig& o) {
  return o.basedir / ".integral-org-cache.json";
}
}  // namespace

void OrgLister::load_cache() {
  std::error_code ec;
  auto p = cache_path(org_);
  if (!std::filesystem::exists(p, ec)) return;
  try {
    auto j = parse_json_input(read_text_file(p, 64u << 20), p.string());
    for (const auto& [url, e] : j.at("pages").items()) {
      Cached c;
      c.etag = e.at("etag").get<std::string>();
      if (e.contains("next") && e["next"].is_string()) c.next = e["next"].get<std::string>();
      c.repos = parse_repos_page(e.at("repos").dump(), p.string());
      cache_[url] = std::move(c);
    }
  } catch (const std::exception&) {
    cache_.clear();  // a damaged cache costs one full listing, nothing else
  }
}

void OrgLister::save_cache() const {
  nlohmann::json pages = nlohmann::json::object();
  for (const auto& [url, c] : cache_) {
    if (c.etag.empty()) continue;
    auto repos = nlohmann::json::array();
    for (const auto& r : c.repos)
      repos.push_back({{"name", r.name},
                       {"clone_url", r.clone_url},
                       {"ssh_url", r.ssh_url},
                       {"archived", r.archived},
                       {"disabled", r.disabled},
                       {"fork", r.fork}});
    pages[url] = {{"etag", c.etag}, {"repos", repos}};
    if (c.next) pages[url]["next"] = *c.next;
  }
  std::error_code ec;
  std::filesystem::create_directories(org_.basedir, ec);
  write_file_atomic(cache_path(org_), dump_json(nlohmann::json{{"pages", pages}}) + "\n");
}

std::string OrgLister::first_url() const {
  return fmt::format("{}/orgs/{}/repos?per_page=100&sort=full_name", org_.api_url, org_.org);
}

std::vector<OrgRepo> OrgLister::known() const {
  std::vector<OrgRepo> all;
  std::optional<std::string> url = first_url();
  for (int page = 0; url && page <= 1000; ++page) {
    auto it = cache_.find(*url);
    if (it == cache_.end() || it->second.etag.empty()) return {};  // incomplete: nothing known
    all.insert(all.end(), it->second.repos.begin(), it->second.repos.end());
    url = it->second.next;
  }
  return all;
}

std::vector<OrgRepo> OrgLister::list(const std::atomic<bool>* cancel) {
  std::vector<OrgRepo> all;
  std::optional<std::string> url = first_url();
  int waits = 0;
  for (int page = 0; url; ++page) {
    if (page > 1000) throw_bad_input("more than 1000 pages of repositories", org_.api_url);
    auto& c = cache_[*url];
    ++requests_;
    auto r = http_get(*url, token_, c.etag, static_cast<long>(org_.repo_template.timeout.count()));
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    if (auto wait = rate_limit_wait(r.status, r.retry_after, r.remaining, r.reset, now)) {
      ++rate_limited_;
      // Waiting is bounded twice: by rate-limit-wait per answer, and by three waits a listing.
      if (*wait > org_.rate_limit_wait.count() || ++waits > 3)
        throw RateLimited(
            fmt::format("GET {}: HTTP {}, rate limited for {} s", *url, r.status, *wait),
            now + *wait);
      for (int64_t ms = 0; ms < *wait * 1000 && !(cancel && cancel->load()); ms += 100)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (cancel && cancel->load()) throw_environment("listing cancelled");
      --page;
      continue;  // the same page again
    }
    if (r.status == 304 && !c.etag.empty()) {
      ++not_modified_;
    } else if (r.status == 200) {
      c.repos = parse_repos_page(r.body, *url);
      c.etag = r.etag;
      c.next = link_next(r.link);
      // The token goes with every request: follow links only within the configured API.
      if (c.next && c.next->rfind(org_.api_url + "/", 0) != 0)
        throw_bad_input(fmt::format("Link rel=next leaves {}", org_.api_url), *url);
    } else {
      throw_environment(fmt::format("GET {}: HTTP {}", *url, r.status));
    }
    all.insert(all.end(), c.repos.begin(), c.repos.end());
    url = c.next;
  }
  save_cache();
  return all;
}

}  // namespace integral::poll
