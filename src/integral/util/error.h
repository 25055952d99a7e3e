// Errors that carry where they happened (file, byte offset) and how the process should exit.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace integral {

// Exit statuses shared by every command (see ARCHITECTURE.md).
enum class ExitCode : int {
  kOk = 0,
  kMismatch = 1,     // verification found a difference
  kUsage = 2,        // the command line is wrong
  kBadInput = 3,     // an input file is malformed or names something impossible
  kEnvironment = 4,  // missing file, I/O failure, missing tool
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, std::string message, std::string file = {},
        std::optional<uint64_t> offset = std::nullopt);

  ExitCode code() const { return code_; }
  const std::string& file() const { return file_; }
  std::optional<uint64_t> offset() const { return offset_; }
  const std::string& message() const { return message_; }

 private:
  ExitCode code_;
  std::string message_;
  std::string file_;
  std::optional<uint64_t> offset_;
};

// Shorthands for the common kinds.
[[noreturn]] void throw_bad_input(std::string message, std::string file = {},
                                  std::optional<uint64_t> offset = std::nullopt);
[[noreturn]] void throw_usage(std::string message);
[[noreturn]] void throw_environment(std::string message, std::string file = {});

}  // namespace integral
