// The integral command line: one thin file per command, each translating options into library
// calls and library results into output.
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

Command add_predict(CLI::App& root);
Command add_verify(CLI::App& root);
Command add_hash(CLI::App& root);

// Writes to `path` atomically, or to stdout when path is empty or "-".
void emit(const std::string& path, const std::string& text);

}  // namespace integral::cli
