#include "integral/poll/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "integral/util/error.h"
#include "integral/util/fd.h"

extern char** environ;

namespace integral::poll {

std::string ProcessResult::describe() const {
  if (timed_out) return "timed out";
  if (cancelled) return "cancelled";
  if (output_overflow) return "too much output";
  if (exited) return fmt::format("exit {}", exit_code);
  return fmt::format("killed by signal {}", signal);
}

namespace {

struct Pipe {
  Fd end[2];  // read end, write end
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_environment(fmt::format("pipe: {}", strerror(errno)));
    end[0].reset(fds[0]);
    end[1].reset(fds[1]);
  }
  int fd(int i) const { return end[i].get(); }
  void close_end(int i) { end[i].reset(); }
};

std::vector<std::string> build_env(const ProcessSpec& spec) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    std::string name(kv.substr(0, eq));
    if (spec.env.count(name)) continue;
    env.emplace_back(kv);
  }
  for (const auto& [k, v] : spec.env)
    if (v) env.push_back(k + "=" + *v);
  return env;
}

// A child that exits without reading its stdin must cost an EPIPE, not this process: ignore
// SIGPIPE (children get the default back through POSIX_SPAWN_SETSIGDEF).
void ignore_sigpipe_once() {
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] {
    struct sigaction old {};
    sigaction(SIGPIPE, nullptr, &old);
    if (old.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
  });
}

// A posix_spawn attribute object, destroyed on every path.
template <typename T, int (*Init)(T*), int (*Destroy)(T*)>
struct SpawnObject {
  T obj;
  SpawnObject() { Init(&obj); }
  ~SpawnObject() { Destroy(&obj); }
  SpawnObject(const SpawnObject&) = delete;
  SpawnObject& operator=(const SpawnObject&) = delete;
};
using SpawnFileActions = SpawnObject<posix_spawn_file_actions_t, posix_spawn_file_actions_init,
                                     posix_spawn_file_actions_destroy>;
using SpawnAttr = SpawnObject<posix_spawnattr_t, posix_spawnattr_init, posix_spawnattr_destroy>;

// Starts the program with the pipes as its stdin, stdout and stderr; returns posix_spawnp's
// error number (0: started, pid set).
int spawn_child(const ProcessSpec& spec, const Pipe& in, const Pipe& out, const Pipe& err,
                pid_t& pid) {
  SpawnFileActions actions;
  posix_spawn_file_actions_t& fa = actions.obj;
  posix_spawn_file_actions_adddup2(&fa, in.fd(0), 0);
  posix_spawn_file_actions_adddup2(&fa, out.fd(1), 1);
  posix_spawn_file_actions_adddup2(&fa, err.fd(1), 2);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, spec.cwd.c_str());
  SpawnAttr attrs;
  posix_spawnattr_t& attr = attrs.obj;
  // Own process group, so a timeout kills git's helpers (upload-pack, remote-https) too; and
  // default signal dispositions even if we ignore SIGPIPE.
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  auto env_strings = build_env(spec);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  return ::posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
}

// Feeds stdin and collects both outputs until the child closes them, killing its process group
// on timeout, cancellation or too much output. Returns whether it was killed.
bool exchange_io(const ProcessSpec& spec, pid_t pid, std::chrono::steady_clock::time_point deadline,
                 Pipe& in, Pipe& out, Pipe& err, ProcessResult& r) {
  size_t written = 0;
  bool killed = false;
  char buf[65536];
  while (out.fd(0) >= 0 || err.fd(0) >= 0) {
    auto now = std::chrono::steady_clock::now();
    if (!killed && now >= deadline) r.timed_out = true;
    if (!killed && spec.cancel && spec.cancel->load()) r.cancelled = true;
    if (!killed && (r.timed_out || r.cancelled || r.output_overflow)) {
      ::kill(-pid, SIGKILL);
      killed = true;
      in.close_end(1);
    }
    pollfd fds[3];
    int n = 0;
    int idx_out = -1, idx_err = -1, idx_in = -1;
    if (out.fd(0) >= 0) fds[idx_out = n++] = {out.fd(0), POLLIN, 0};
    if (err.fd(0) >= 0) fds[idx_err = n++] = {err.fd(0), POLLIN, 0};
    if (in.fd(1) >= 0) fds[idx_in = n++] = {in.fd(1), POLLOUT, 0};
    // Wake at least every 100 ms to notice cancellation and the deadline.
    int wait_ms = 100;
    if (!killed) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
      if (left < wait_ms) wait_ms = static_cast<int>(left < 0 ? 0 : left);
    }
    int pr = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (pr < 0) {
      if (errno == EINTR) continue;
      break;
    }
    auto drain = [&](int idx, Pipe& p, std::string& dst) {
      if (idx < 0 || !(fds[idx].revents & (POLLIN | POLLHUP | POLLERR))) return;
      ssize_t got = ::read(p.fd(0), buf, sizeof buf);
      if (got > 0) {
        if (dst.size() + static_cast<size_t>(got) > spec.max_output)
          r.output_overflow = true;
        else
          dst.append(buf, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        p.close_end(0);
      }
    };
    drain(idx_out, out, r.out);
    drain(idx_err, err, r.err);
    if (idx_in >= 0 && (fds[idx_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w =
          ::write(in.fd(1), spec.stdin_data.data() + written, spec.stdin_data.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      // EPIPE: the child stopped reading; what it did with the rest is its exit status's say.
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == spec.stdin_data.size())
        in.close_end(1);
    }
  }
  return killed;
}

// Outputs closed; the child (or a grandchild holding them) is done with them. Waits for the
// child itself, still bounded by the deadline, and records how it ended.
void reap_child(const ProcessSpec& spec, pid_t pid, std::chrono::steady_clock::time_point deadline,
                bool killed, ProcessResult& r) {
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &status, killed ? 0 : WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (w == 0) {
      bool cancel = spec.cancel && spec.cancel->load();
      if (std::chrono::steady_clock::now() >= deadline || cancel) {
        r.timed_out = !cancel;
        r.cancelled = cancel;
        ::kill(-pid, SIGKILL);
        killed = true;
      } else {
        ::usleep(2000);
      }
    }
  }
  if (WIFEXITED(status)) {
    r.exited = true;
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
}

}  // namespace

ProcessResult run_process(const ProcessSpec& spec) {
  if (spec.argv.empty()) throw_usage("run_process: empty argv");
  ignore_sigpipe_once();
  Pipe in, out, err;
  pid_t pid = -1;
  int rc = spawn_child(spec, in, out, err, pid);
  ProcessResult r;
  if (rc != 0) {
    r.exited = true;
    r.exit_code = 127;
    r.err = fmt::format("cannot run {}: {}\n", spec.argv[0], strerror(rc));
    return r;
  }
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);
  ::fcntl(in.fd(1), F_SETFL, O_NONBLOCK);
  if (spec.stdin_data.empty()) in.close_end(1);

  auto deadline = std::chrono::steady_clock::now() + spec.timeout;
  bool killed = exchange_io(spec, pid, deadline, in, out, err, r);
  in.close_end(1);
  reap_child(spec, pid, deadline, killed, r);
  return r;
}

}  // namespace integral::poll
