// What every benchmark needs to time a peer tool against integral in the same run: a child
// process runner with wall and CPU time, the median of repeated runs, the common command-line
// options, scratch file names and incompressible test data.
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace bench {

inline double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Timing {
  double wall = 0, cpu = 0;  // cpu: the child's user + system time (robust on a busy machine)
};

// Runs argv (no shell) with stdout captured (or discarded); exits 4 if it fails.
inline std::pair<Timing, std::string> run(const std::vector<std::string>& argv,
                                          bool capture = true) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(4);
  double t0 = now();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  std::vector<char> buf(1 << 16);
  ssize_t n;
  while ((n = read(fds[0], buf.data(), buf.size())) > 0)
    if (capture) out.append(buf.data(), static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  Timing t{now() - t0, static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench: %s failed\n", argv[0].c_str());
    std::exit(4);
  }
  return {t, out};
}

// The options every bench takes: COUNT_FLAG N (its size: events, entries, MiB...), --runs N,
// --keep (leave the generated input), --smoke (small and quick, for ctest), and any extra
// "--flag VALUE" options the caller names. Exits 2 with a usage line on anything else.
struct Args {
  size_t count = 0;
  int runs = 3;
  bool keep = false, smoke = false;
  std::vector<std::pair<std::string, std::string>> extra;  // (flag, value) as given
  std::string get(const std::string& flag) const {
    for (const auto& [f, v] : extra)
      if (f == flag) return v;
    return {};
  }
};
inline Args parse_args(int argc, char** argv, const std::string& count_flag, size_t count,
                       size_t smoke_count, const std::vector<std::string>& extra_flags = {}) {
  Args a;
  a.count = count;
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    bool has_value = i + 1 < argc;
    if (f == count_flag && has_value) {
      a.count = std::strtoul(argv[++i], nullptr, 10);
    } else if (f == "--runs" && has_value) {
      a.runs = std::atoi(argv[++i]);
    } else if (f == "--keep") {
      a.keep = true;
    } else if (f == "--smoke") {
      a.smoke = true;
      a.count = smoke_count;
      a.runs = 1;
    } else if (has_value &&
               std::find(extra_flags.begin(), extra_flags.end(), f) != extra_flags.end()) {
      a.extra.emplace_back(f, argv[++i]);
    } else {
      std::string extra;
      for (const auto& e : extra_flags) extra += " [" + e + " VALUE]";
      std::fprintf(stderr, "usage: %s [%s N] [--runs N]%s [--keep] [--smoke]\n", argv[0],
                   count_flag.c_str(), extra.c_str());
      std::exit(2);
    }
  }
  return a;
}

// $TMPDIR/integral-bench-NAME-PID (plus suffix): one scratch name per bench run.
inline std::string scratch_path(const std::string& name, const std::string& suffix = "") {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp ? tmp : "/tmp") + "/integral-bench-" + name + "-" +
         std::to_string(getpid()) + suffix;
}

// Writes DATA to PATH (a generated input); exits 4 if it cannot.
inline void write_file(const std::string& path, const std::string& data) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(data.data(), 1, data.size(), f) != data.size()) std::exit(4);
  std::fclose(f);
}

// Writes `mib` MiB of non-repeating data (xorshift64): nothing compresses or deduplicates it.
inline bool write_incompressible(std::FILE* f, size_t mib) {
  std::vector<uint64_t> block(1 << 17);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (size_t m = 0; m < mib; ++m) {
    for (auto& w : block) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      w = x;
    }
    if (std::fwrite(block.data(), 8, block.size(), f) != block.size()) return false;
  }
  return true;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// One line naming the CPU and whether it has SHA instructions (x86 SHA-NI, Arm's sha1/sha2):
// with them SHA-256 runs near SHA-1's speed, without them at about a third, so every figure
// must say which kind of CPU it came from.
inline std::string cpu_line() {
  std::string model = "unknown CPU", flags;
  if (std::FILE* f = std::fopen("/proc/cpuinfo", "r")) {
    char line[8192];
    while (std::fgets(line, sizeof line, f)) {
      std::string l(line);
      auto value = [&] {
        auto c = l.find(':');
        std::string v = c == std::string::npos ? "" : l.substr(c + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.erase(0, 1);
        while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
        return v;
      };
      if (l.rfind("model name", 0) == 0 && model == "unknown CPU") model = value();
      if ((l.rfind("flags", 0) == 0 || l.rfind("Features", 0) == 0) && flags.empty())
        flags = " " + value() + " ";
    }
    std::fclose(f);
  }
  bool sha =
      flags.find(" sha_ni ") != std::string::npos ||
      (flags.find(" sha1 ") != std::string::npos && flags.find(" sha2 ") != std::string::npos);
  long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  std::string line = "cpu: " + model + ", " + std::to_string(cores) +
                     " cores, SHA extensions: " + (sha ? "yes" : "no");
  // OpenSSL hides CPU features named in OPENSSL_ia32cap from both contenders, which gives the
  // other kind of CPU on this one (":~0x20000000" masks SHA-NI, CPUID leaf 7 EBX bit 29).
  if (const char* cap = std::getenv("OPENSSL_ia32cap"))
    line += std::string(", OPENSSL_ia32cap=") + cap + " (masked in OpenSSL for both contenders)";
  return line;
}

}  // namespace bench
