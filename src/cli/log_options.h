// The options of the commands that read event logs (replay, verify, eventlog), registered and
// interpreted in one place so that they mean and say the same in each.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "integral/eventlog/event_log.h"

namespace integral::cli {

// LOG, the positional argument: a TCG binary log or a go-attestation JSON dump.
CLI::Option* add_log_argument(CLI::App* app, std::string& log);
// --format: auto, tcg, go-attestation, ima or txt-stat.
CLI::Option* add_format_option(CLI::App* app, std::string& format);
// --quirk NAME...: firmware quirk rules to apply to the log.
CLI::Option* add_quirk_option(CLI::App* app, std::vector<std::string>& quirks);
// --ima-padded BANKS, for IMA lists.
CLI::Option* add_ima_padded_option(CLI::App* app, std::string& padded);
// --ima-bank ALG, for IMA lists.
CLI::Option* add_ima_bank_option(CLI::App* app, std::string& ima_bank);

// --format's value; a name no format has is a usage error.
LogFormat log_format_option(const std::string& name);
// Whether `log` is read as an IMA list: --format ima, or auto with --ima-bank or a file whose
// entries have IMA's layout.
bool is_ima_list(LogFormat format, const std::string& ima_bank, const std::string& log);

}  // namespace integral::cli
