#include "integral/build/reference_values.h"

#include "integral/crypto/multi_hasher.h"
#include "integral/poll/process.h"
#include "integral/util/text.h"

namespace integral::build {

namespace fs = std::filesystem;

std::string without_base(std::string text, const fs::path& base) {
  const std::string prefix = base.lexically_normal().string() + "/";
  for (size_t at; (at = text.find(prefix)) != std::string::npos;) text.erase(at, prefix.size());
  return text;
}

std::string sha256_file(const fs::path& path) {
  const HashAlg sha256[] = {HashAlg::kSha256};
  return hash_file(path, sha256)[0].hex();
}

namespace {

// The commit of the work tree holding the description, and whether tracked files differ from
// it; null outside a work tree or without git.
nlohmann::ordered_json git_of(const fs::path& dir) {
  poll::ProcessSpec head;
  head.argv = {"git", "-C", dir.empty() ? "." : dir.string(), "rev-parse", "--verify", "HEAD"};
  head.timeout = std::chrono::seconds(30);
  poll::ProcessResult r = poll::run_process(head);
  if (!r.ok()) return nullptr;
  poll::ProcessSpec status = head;
  status.argv = {"git", "-C", head.argv[2], "status", "--porcelain", "--untracked-files=no"};
  poll::ProcessResult s = poll::run_process(status);
  nlohmann::ordered_json g;
  g["commit"] = std::string(trim(r.out));
  if (s.ok()) g["dirty"] = !trim(s.out).empty();
  return g;
}

}  // namespace

nlohmann::ordered_json build_provenance(const BuildDescription& d,
                                        const std::set<fs::path>& inputs) {
  nlohmann::ordered_json p;
  p["description"] = fs::path(d.source).filename().string();
  p["description_sha256"] = sha256_file(d.source);
  if (auto g = git_of(d.base_dir); !g.is_null()) p["git"] = g;
  p["integral"] = INTEGRAL_VERSION;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& f : inputs) {
    std::error_code ec;
    if (!fs::is_regular_file(f, ec)) continue;  // a tree is recorded by its tree digest
    list.push_back({{"path", without_base(f.string(), d.base_dir)}, {"sha256", sha256_file(f)}});
  }
  p["inputs"] = std::move(list);
  return p;
}

}  // namespace integral::build
