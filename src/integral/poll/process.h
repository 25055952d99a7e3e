// Running a program without a shell: argv, environment overrides, stdin bytes, a timeout, and
// both output streams captured. Names reach the child only as argv elements or stdin data.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace integral::poll {

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  // Variables to set (value) or remove (nullopt) on top of this process's environment.
  std::map<std::string, std::optional<std::string>> env;
  std::string stdin_data;
  std::string cwd;  // empty: inherit
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  size_t max_output = 64u << 20;              // per stream; more is an error (a runaway child)
  const std::atomic<bool>* cancel = nullptr;  // set → the child is killed (shutdown)
};

struct ProcessResult {
  int exit_code = -1;  // valid when exited
  int signal = 0;      // the signal that ended the child, if any
  bool exited = false;
  bool timed_out = false;
  bool cancelled = false;
  bool output_overflow = false;
  std::string out, err;

  bool ok() const {
    return exited && exit_code == 0 && !output_overflow && !timed_out && !cancelled;
  }
  // "exit 1", "killed by signal 9", "timed out after 5s": for logs and errors.
  std::string describe() const;
};

// Runs the program to completion (or timeout/cancel, then SIGKILL to its process group).
// Failing to start it at all (no such program) is reported as exit code 127.
ProcessResult run_process(const ProcessSpec& spec);

}  // namespace integral::poll
