#include "cli/log_options.h"

#include <fmt/format.h>

#include "integral/util/error.h"

namespace integral::cli {

CLI::Option* add_log_argument(CLI::App* app, std::string& log) {
  return app->add_option("log", log, "Event log (TCG binary, or go-attestation JSON dump)")
      ->required();
}

CLI::Option* add_format_option(CLI::App* app, std::string& format) {
  return app
      ->add_option("--format", format, "Log format: auto, tcg, go-attestation, ima or txt-stat")
      ->capture_default_str();
}

CLI::Option* add_quirk_option(CLI::App* app, std::vector<std::string>& quirks) {
  return app->add_option("--quirk", quirks,
                         "Apply a named firmware quirk rule to the log (see 'eventlog quirks')");
}

CLI::Option* add_ima_padded_option(CLI::App* app, std::string& padded) {
  return app->add_option("--ima-padded", padded,
                         "IMA list: banks the kernel extended with the SHA-1 template hash "
                         "zero-padded (a hash the kernel lacked, or every bank before Linux 5.8)");
}

CLI::Option* add_ima_bank_option(CLI::App* app, std::string& ima_bank) {
  return app->add_option("--ima-bank", ima_bank,
                         "IMA list: the bank of its template hashes (a per-bank list such as "
                         "binary_runtime_measurements_sha256); default: the file name's suffix, "
                         "else the entries' layout");
}

LogFormat log_format_option(const std::string& name) {
  auto format = parse_log_format(name);
  if (!format) throw_usage(fmt::format("unknown log format '{}'", name));
  return *format;
}

bool is_ima_list(LogFormat format, const std::string& ima_bank, const std::string& log) {
  return format == LogFormat::kIma ||
         (format == LogFormat::kAuto &&
          (!ima_bank.empty() || sniff_log_file(log) == LogFormat::kIma));
}

}  // namespace integral::cli
