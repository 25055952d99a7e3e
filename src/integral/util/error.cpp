#include "integral/util/error.h"

#include <fmt/format.h>

namespace integral {
namespace {

std::string render(const std::string& message, const std::string& file,
                   std::optional<uint64_t> offset) {
  if (file.empty()) return message;
  if (offset) return fmt::format("{}: offset {:#x}: {}", file, *offset, message);
  return fmt::format("{}: {}", file, message);
}

}  // namespace

Error::Error(ExitCode code, std::string message, std::string file, std::optional<uint64_t> offset)
    : std::runtime_error(render(message, file, offset)),
      code_(code),
      message_(std::move(message)),
      file_(std::move(file)),
      offset_(offset) {}

void throw_bad_input(std::string message, std::string file, std::optional<uint64_t> offset) {
  throw Error(ExitCode::kBadInput, std::move(message), std::move(file), offset);
}

void throw_usage(std::string message) {
  throw Error(ExitCode::kUsage, std::move(message));
}

void throw_environment(std::string message, std::string file) {
  throw Error(ExitCode::kEnvironment, std::move(message), std::move(file));
}

}  // namespace integral
