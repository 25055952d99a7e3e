// What every benchmark needs to time a peer tool against integral in the same run: a child
// process runner with wall and CPU time, and the median of repeated runs.
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
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

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace bench
