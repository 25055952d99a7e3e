#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/text.h"

namespace integral::cli {

std::vector<RegisteredCommand>& command_registry() {
  static std::vector<RegisteredCommand> registry;
  return registry;
}

CommandRegistrar::CommandRegistrar(int order, AddCommand add) {
  command_registry().push_back({order, add});
}

void emit(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  } else {
    write_file_atomic(path, text);
  }
}

}  // namespace integral::cli

int main(int argc, char** argv) {
  using namespace integral;
  CLI::App app{"integral: predict, verify and explain TPM measurements of measured systems"};
  app.set_version_flag("--version", "integral " INTEGRAL_VERSION);
  app.require_subcommand(1);
  auto registry = cli::command_registry();
  std::stable_sort(registry.begin(), registry.end(),
                   [](const auto& a, const auto& b) { return a.order < b.order; });
  std::vector<cli::Command> commands;
  for (const auto& r : registry) commands.push_back(r.add(app));
  // "--opt=" is an empty value (systemd-measure's "--phase="), but CLI11 would take the next
  // argument as the value instead: hand it over as "--opt" "".
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 1; --i) {  // CLI11 takes the arguments reversed
    std::string a = argv[i];
    if (a.size() > 3 && a.starts_with("--") && a.back() == '=') {
      args.emplace_back();
      a.pop_back();
    }
    args.push_back(std::move(a));
  }
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    fmt::print(stderr, "integral: {} (see --help)\n", escape_terminal(e.what()));
    return static_cast<int>(ExitCode::kUsage);
  }
  // Messages quote input (names, JSON excerpts): shown through the same escape as output.
  const int status = [&] {
    try {
      for (auto& c : commands)
        if (c.app->parsed()) return c.run();
    } catch (const Error& e) {
      fmt::print(stderr, "integral: {}\n", escape_terminal(e.what()));
      return static_cast<int>(e.code());
    } catch (const std::exception& e) {
      fmt::print(stderr, "integral: internal error: {}\n", escape_terminal(e.what()));
      return static_cast<int>(ExitCode::kEnvironment);
    }
    return static_cast<int>(ExitCode::kUsage);
  }();
  if (terminal_text_was_escaped())
    fmt::print(stderr,
               "integral: note: control characters and invalid UTF-8 in the input were "
               "shown escaped (\\n, \\x1b, \\xff, ...)\n");
  return status;
}
