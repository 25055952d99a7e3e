// A boot description from a table already parsed (a build description holds one per boot).
// Apart from boot_description.h so that only the two readers of TOML include the TOML library.
#pragma once

#include <toml++/toml.h>
#include <initializer_list>
#include <string_view>

#include "integral/predict/boot_description.h"

namespace integral {

// TOML text as a table; a syntax error is bad input naming `source` and the line.
toml::table parse_toml(std::string_view text, const std::string& source);

// As parse_boot_description, for the keys of `table` (banks, startup_locality, [[stage]]);
// `owner_keys` are keys of the table that its owner reads (a build's `policy`), not errors.
BootDescription boot_description_from_table(
    const toml::table& table, const std::string& source, const std::filesystem::path& base_dir,
    std::initializer_list<std::string_view> owner_keys = {});

}  // namespace integral
