#include "integral/util/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace integral {

namespace {
int g_forced = -1;
}

void Progress::set_enabled_for_testing(int enabled) {
  g_forced = enabled;
}

Progress::Progress(std::string label, uint64_t total)
    : label_(std::move(label)),
      total_(total),
      active_(g_forced >= 0 ? g_forced == 1 : ::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() {
  if (active_) std::fputs("\r\033[K", stderr);  // erase the line: the result speaks for itself
}

void Progress::advance(uint64_t amount) {
  done_ += amount;
  if (!active_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(200) && done_ < total_) return;
  last_ = now;
  draw();
}

void Progress::draw() {
  double secs = std::chrono::duration<double>(last_ - start_).count();
  double mib = static_cast<double>(done_) / (1 << 20);
  double pct = total_ ? 100.0 * static_cast<double>(done_) / static_cast<double>(total_) : 100.0;
  fmt::print(stderr, "\r\033[K{} {:5.1f}%  {:.0f} MiB  {:.0f} MiB/s", label_, pct, mib,
             secs > 0 ? mib / secs : 0.0);
  std::fflush(stderr);
}

}  // namespace integral
