#include "integral/reference/ima_policy.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "integral/eventlog/ima_log.h"
#include "integral/util/error.h"
#include "integral/util/json_io.h"

namespace integral {

std::string keylime_runtime_policy(const std::map<std::string, Digest>& files,
                                   const std::string& mount) {
  nlohmann::ordered_json j;
  // generator 0: keylime's "Unknown" (its own generators are 1-3).
  j["meta"] = {{"version", 1}, {"generator", 0}};
  j["release"] = 0;
  auto& digests = j["digests"] = nlohmann::ordered_json::object();
  std::string base = mount;
  while (!base.empty() && base.back() == '/') base.pop_back();
  for (const auto& [path, d] : files)
    digests[base + path] = nlohmann::ordered_json::array({d.hex()});
  j["excludes"] = nlohmann::ordered_json::array();
  j["keyrings"] = nlohmann::ordered_json::object();
  j["ima"] = {{"ignored_keyrings", nlohmann::ordered_json::array()},
              {"log_hash_alg", "sha1"},
              {"dm_policy", nullptr}};
  j["ima-buf"] = nlohmann::ordered_json::object();
  j["verification-keys"] = "";
  return dump_json(j, 2) + "\n";
}

}  // namespace integral

namespace integral {

namespace {

struct RuntimePolicy {
  std::map<std::string, std::vector<std::string>> digests;  // name -> hex digests
  // RE2, not std::regex: a policy's patterns and the list's names are untrusted, and RE2 matches
  // in time linear in the name whatever the pattern (std::regex backtracks exponentially on
  // patterns such as (a*)*b: found by fuzz_ima_policy). Python's re syntax, which keylime's
  // excludes are written in, is RE2's but for backreferences and lookaround, which are refused.
  std::vector<std::unique_ptr<RE2>> excludes;
};

RuntimePolicy read_policy(std::string_view text, const std::string& what) {
  const nlohmann::json j = parse_json_input(text, what);
  if (!j.is_object() || !j.contains("digests") || !j["digests"].is_object())
    throw_bad_input("not a runtime policy (no \"digests\" object)", what);
  RuntimePolicy p;
  for (const auto& [name, list] : j["digests"].items()) {
    if (!list.is_array()) throw_bad_input("digests of " + name + " are not a list", what);
    for (const auto& d : list) {
      if (!d.is_string()) throw_bad_input("a digest of " + name + " is not a string", what);
      std::string hex = d.get<std::string>();
      // keylime writes plain hex; "alg:hex" is accepted too.
      if (const auto colon = hex.find(':'); colon != std::string::npos) hex = hex.substr(colon + 1);
      p.digests[name].push_back(hex);
    }
  }
  if (j.contains("excludes")) {
    if (!j["excludes"].is_array()) throw_bad_input("\"excludes\" is not a list", what);
    for (const auto& e : j["excludes"]) {
      if (!e.is_string()) throw_bad_input("an exclude is not a string", what);
      if (e.get<std::string>().size() > 256)
        throw_bad_input("an exclude over 256 characters", what);
      RE2::Options o;
      o.set_log_errors(false);
      o.set_max_mem(1 << 20);  // a compiled pattern's memory: ample for 256 characters
      auto re = std::make_unique<RE2>(e.get<std::string>(), o);
      if (!re->ok())
        throw_bad_input(fmt::format("an exclude is not a regular expression RE2 accepts ({}): {}",
                                    re->error(), e.get<std::string>()),
                        what);
      p.excludes.push_back(std::move(re));
    }
  }
  return p;
}

std::string problem_of(const RuntimePolicy& p, const ImaEntry& e) {
  if (e.violation()) return "a measurement violation (open for writing while measured)";
  auto it = p.digests.find(e.name);
  if (it == p.digests.end()) return "not in the policy";
  const auto colon = e.file_digest.find(':');
  const std::string hex =
      colon == std::string::npos ? e.file_digest : e.file_digest.substr(colon + 1);
  for (const auto& d : it->second)
    if (d == hex) return {};
  for (const auto& d : it->second)
    if (d.size() == hex.size()) return "content differs from the policy";
  return "hashed with an algorithm the policy has no digest in";
}

}  // namespace

ImaPolicyCheck check_ima_policy(ImaReader& list, std::string_view policy_text,
                                const std::string& policy_name) {
  const RuntimePolicy p = read_policy(policy_text, policy_name);
  ImaPolicyCheck out;
  ImaEntry e;
  while (list.next(e)) {
    if (e.template_name == "ima-buf" || e.name == "boot_aggregate") continue;
    bool excluded = false;
    for (const auto& re : p.excludes)  // at the name's start, as keylime's re.match
      excluded = excluded || re->Match(e.name, 0, e.name.size(), RE2::ANCHOR_START, nullptr, 0);
    if (excluded) continue;
    ++out.files;
    if (std::string problem = problem_of(p, e); !problem.empty())
      out.findings.push_back({e.where, e.name, e.file_digest, std::move(problem)});
  }
  return out;
}

}  // namespace integral
