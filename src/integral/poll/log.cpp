#include "integral/poll/log.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "integral/util/error.h"
#include "integral/util/text.h"

namespace integral::poll {

Logger::Logger(const std::string& file) {
  if (file.empty()) {
    f_ = stderr;
    return;
  }
  f_ = std::fopen(file.c_str(), "ae");
  if (!f_) throw_environment(fmt::format("cannot open log: {}", std::strerror(errno)), file);
  own_ = true;
}

Logger::~Logger() {
  if (own_) std::fclose(f_);
}

void Logger::line(std::string_view repo, std::string_view message) {
  auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  std::lock_guard lock(mu_);
  // Ref names, git's and hooks' output come from elsewhere: one line each, controls escaped.
  fmt::print(f_, "{:%Y-%m-%dT%H:%M:%S}Z [{}] {}\n", now, escape_terminal(repo),
             escape_terminal(message));
  std::fflush(f_);
}

void Logger::output(std::string_view repo, std::string_view what, std::string_view text) {
  constexpr size_t kMax = 64 << 10;
  if (text.size() > kMax) text = text.substr(text.size() - kMax);
  std::lock_guard lock(mu_);
  LineReader lines(text);
  std::string_view line;
  size_t offset = 0;
  while (lines.next(line, offset))
    fmt::print(f_, "  [{}] {}: {}\n", escape_terminal(repo), what, escape_terminal(line));
  std::fflush(f_);
}

}  // namespace integral::poll
