// The integral command line: one thin file per command, each translating options into library
// calls and library results into output. A command file registers itself with a static
// CommandRegistrar, so adding a command touches no shared file.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace integral::cli {

struct Command {
  CLI::App* app;
  std::function<int()> run;  // returns the exit status
};

using AddCommand = Command (*)(CLI::App& root);

struct CommandRegistrar {
  // `order` sorts commands in --help (lower first).
  CommandRegistrar(int order, AddCommand add);
};

struct RegisteredCommand {
  int order;
  AddCommand add;
};
std::vector<RegisteredCommand>& command_registry();

// Writes to `path` atomically, or to stdout when path is empty or "-".
void emit(const std::string& path, const std::string& text);

}  // namespace integral::cli
