// A no-change poll of many repositories on loopback: `integral poll --once` (ls-remote gate,
// fetch only on difference, bounded workers) against twobit-gitpoller's way, `git fetch` in
// each mirror one after another. Repositories are served by `git daemon` on 127.0.0.1 with
// protocol v0 pinned (v2 over loopback git:// stalls ~44 ms per connection on Nagle).
// Prints both times (median of --runs), the ratio, the cost per repository, and the floor:
// one ref advertisement per repository (`git ls-remote` of each, as many at once as integral's
// workers), which any poller that asks the remote must pay. --smoke (10 repositories) also
// checks that after a push both ways end with the same refs.
//
// usage: integral_poll_bench [--repos N] [--runs N] [--smoke]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "integral/poll/process.h"

namespace {

namespace fs = std::filesystem;
using integral::poll::ProcessSpec;
using integral::poll::run_process;

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string sh(const std::string& script) {
  ProcessSpec s;
  s.argv = {"bash", "-c", "set -euo pipefail; " + script};
  s.timeout = std::chrono::minutes(10);
  auto r = run_process(s);
  if (!r.ok()) {
    std::fprintf(stderr, "setup failed (%s): %s\n%s", r.describe().c_str(), script.c_str(),
                 r.err.c_str());
    std::exit(4);
  }
  return r.out;
}

}  // namespace

int main(int argc, char** argv) {
  int repos = 200, runs = 5;
  bool smoke = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--smoke")
      smoke = true;
    else if (a == "--repos" && i + 1 < argc)
      repos = std::atoi(argv[++i]);
    else if (a == "--runs" && i + 1 < argc)
      runs = std::atoi(argv[++i]);
  }
  if (smoke) repos = 10, runs = 1;

  char tmpl[] = "/tmp/integral-poll-bench-XXXXXX";
  if (!mkdtemp(tmpl)) return 4;
  fs::path d = tmpl;
  setenv("HOME", d.c_str(), 1);
  setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  sh("git config --global protocol.version 0; git config --global init.defaultBranch main;"
     "git config --global user.name Bench; git config --global user.email b@example.org");
  // One small upstream (20 commits, 3 branches, 5 annotated tags), copied N times.
  sh("cd " + d.string() +
     " && git init -q w && cd w && for i in $(seq 20); do echo $i >f; "
     "git add f; git commit -qm c$i; done; git branch b1 HEAD~5; git branch b2 HEAD~10; "
     "for t in 1 2 3 4 5; do git tag -a -m t$t v$t HEAD~$t; done; "
     "git clone -q --bare . ../srv0.git; mkdir ../srv");
  sh("cd " + d.string() + " && for i in $(seq -w 1 " + std::to_string(repos) +
     "); do cp -r srv0.git srv/r$i.git; done");
  int port = 20000 + static_cast<int>(getpid() % 20000);
  sh("cd " + d.string() + " && (git daemon --listen=127.0.0.1 --port=" + std::to_string(port) +
     " --base-path=srv --export-all --reuseaddr srv >/dev/null 2>&1 & echo $! > daemon.pid); "
     "for i in $(seq 100); do git ls-remote git://127.0.0.1:" +
     std::to_string(port) + "/r" + std::string(repos >= 100 ? "001" : (repos >= 10 ? "01" : "1")) +
     ".git >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1");
  std::string url = "git://127.0.0.1:" + std::to_string(port) + "/";

  // integral's configuration, and the peer's mirrors (git clone --mirror, as twobit did).
  std::string conf = "[DEFAULT]\nbasedir = " + (d / "ours").string() +
                     "\ntype = git\nconcurrency = 4\nhook-script = /bin/true\n";
  std::string names = sh("cd " + d.string() + "/srv && ls");
  std::string peer_setup;
  size_t pos = 0;
  while (pos < names.size()) {
    auto e = names.find('\n', pos);
    std::string n = names.substr(pos, e - pos);
    pos = e + 1;
    conf += "[" + n + "]\nurl = " + url + n + "\ngitdir = " + n + "\n";
    peer_setup += "git clone -q --mirror " + url + n + " theirs/" + n + "; ";
  }
  std::ofstream(d / "poll.conf") << conf;
  sh("cd " + d.string() + " && mkdir theirs && " + peer_setup);
  std::string ours = std::string(INTEGRAL_BINARY) + " poll " + (d / "poll.conf").string() +
                     " --once --log " + (d / "poll.log").string();
  sh(ours);  // first sight: clones and baselines (not timed)

  std::string theirs = "cd " + d.string() +
                       "/theirs && for m in *; do git --git-dir=$m fetch -q "
                       "--prune origin; done";
  // The floor: the ref advertisement alone, 4 at a time as integral's workers ask.
  std::string floor =
      "cd " + d.string() + "/srv && ls | xargs -P 4 -I{} git ls-remote " + url + "{} > /dev/null";
  std::vector<double> t_ours, t_theirs, t_floor;
  for (int r = 0; r < runs; ++r) {
    double t0 = now();
    sh(ours);
    double t1 = now();
    sh(theirs);
    double t2 = now();
    sh(floor);
    double t3 = now();
    t_ours.push_back(t1 - t0);
    t_theirs.push_back(t2 - t1);
    t_floor.push_back(t3 - t2);
  }
  const double o = bench::median(t_ours), t = bench::median(t_theirs), f = bench::median(t_floor);
  std::printf("%s\n", bench::cpu_line().c_str());
  std::printf("no-change poll of %d repositories over git:// on 127.0.0.1 (median of %d)\n", repos,
              runs);
  std::printf("  integral poll --once (4 workers):      %.3f s  (%.1f ms per repository)\n", o,
              1e3 * o / repos);
  std::printf("  git fetch in each mirror, in turn:     %.3f s  (%.1f ms per repository)\n", t,
              1e3 * t / repos);
  std::printf("  ratio integral/peer: %.3f   (goal <= 0.3)\n", o / t);
  std::printf(
      "  floor: git ls-remote of each, 4 at once: %.3f s  (%.1f ms per repository); "
      "integral/floor %.2f, floor/peer %.3f\n",
      f, 1e3 * f / repos, o / f, f / t);

  int rc = 0;
  if (smoke) {
    // After a push, both must end with the upstream's refs.
    sh("cd " + d.string() +
       "/w && git push -q --force ../srv/r01.git HEAD~1:refs/heads/main "
       "HEAD:refs/heads/new v1:refs/tags/v9");
    sh(ours);
    sh(theirs);
    auto refs = [&](const std::string& dir) {
      return sh("git --git-dir=" + dir +
                " for-each-ref --format='%(objectname) %(refname)' "
                "refs/heads refs/tags");
    };
    std::string up = refs((d / "srv/r01.git").string());
    if (refs((d / "ours/r01.git").string()) != up || refs((d / "theirs/r01.git").string()) != up) {
      std::fprintf(stderr, "smoke: mirrors disagree with the upstream\n");
      rc = 1;
    } else {
      std::printf("smoke: both mirrors equal the upstream after a push\n");
    }
  }
  sh("kill $(cat " + (d / "daemon.pid").string() + ")");
  fs::remove_all(d);
  return rc;
}
