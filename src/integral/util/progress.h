// Progress for long work, shown on a terminal only: a single self-overwriting line on stderr,
// at most a few updates per second, erased when done. Silent when stderr is not a tty (logs,
// CI, pipes), so output stays clean for machines.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace integral {

class Progress {
 public:
  Progress(std::string label, uint64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(uint64_t amount);
  bool active() const { return active_; }
  // For tests: force on or off regardless of the terminal.
  static void set_enabled_for_testing(int enabled);  // -1 auto, 0 off, 1 on

 private:
  void draw();
  std::string label_;
  uint64_t total_;
  uint64_t done_ = 0;
  bool active_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace integral
