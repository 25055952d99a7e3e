// The poller's log: timestamped lines to stderr or a file, from any thread.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace integral::poll {

class Logger {
 public:
  explicit Logger(const std::string& file = {});  // empty: stderr
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void line(std::string_view repo, std::string_view message);
  // Captured output of a child, each line prefixed; the tail is kept when it is long.
  void output(std::string_view repo, std::string_view what, std::string_view text);

 private:
  std::mutex mu_;
  FILE* f_ = nullptr;
  bool own_ = false;
};

}  // namespace integral::poll
