#include "integral/predict/boot_description.h"

#include <fmt/format.h>

#include <algorithm>

#include "integral/predict/boot_description_toml.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"

namespace integral {

namespace {

uint32_t line_of(const toml::node& n) {
  return n.source().begin.line;
}

StageFields::Field convert(const toml::node& n, const std::string& source, const std::string& key) {
  StageFields::Field f;
  f.line = line_of(n);
  if (auto s = n.value<std::string>(); s && n.is_string()) {
    f.value = *s;
  } else if (n.is_integer()) {
    f.value = *n.value<int64_t>();
  } else if (n.is_boolean()) {
    f.value = *n.value<bool>();
  } else if (const toml::array* a = n.as_array()) {
    std::vector<std::string> items;
    for (const auto& item : *a) {
      if (!item.is_string())
        throw_bad_input(fmt::format("line {}: '{}' must hold strings only", f.line, key), source);
      items.push_back(*item.value<std::string>());
    }
    f.value = std::move(items);
  } else {
    throw_bad_input(fmt::format("line {}: '{}' has a type stages do not use", f.line, key), source);
  }
  return f;
}

}  // namespace

toml::table parse_toml(std::string_view text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw_bad_input(fmt::format("line {}: {}", e.source().begin.line, e.description()), source);
  }
}

BootDescription parse_boot_description(std::string_view text, const std::string& source,
                                       const std::filesystem::path& base_dir) {
  return boot_description_from_table(parse_toml(text, source), source, base_dir);
}

BootDescription boot_description_from_table(const toml::table& root, const std::string& source,
                                            const std::filesystem::path& base_dir,
                                            std::initializer_list<std::string_view> owner_keys) {
  BootDescription boot;
  boot.source = source;
  boot.base_dir = base_dir;

  for (const auto& [key, node] : root) {
    std::string k(key.str());
    if (k != "banks" && k != "startup_locality" && k != "stage" &&
        std::find(owner_keys.begin(), owner_keys.end(), k) == owner_keys.end())
      throw_bad_input(fmt::format("line {}: unknown key '{}' (expected banks, startup_locality, "
                                  "[[stage]])",
                                  line_of(node), k),
                      source);
  }

  const toml::array* banks = root["banks"].as_array();
  if (!banks || banks->empty())
    throw_bad_input("needs 'banks', the TPM's active PCR banks, e.g. banks = [\"sha256\"]", source);
  for (const auto& b : *banks) {
    auto name = b.value<std::string>();
    auto alg = name ? parse_hash_alg(*name) : std::nullopt;
    if (!alg)
      throw_bad_input(fmt::format("line {}: unknown bank '{}'", line_of(b), name.value_or("?")),
                      source);
    if (!hash_alg_available(*alg))
      throw_bad_input(
          fmt::format("line {}: bank '{}' is not available in this OpenSSL", line_of(b), *name),
          source);
    for (HashAlg have : boot.banks)
      if (have == *alg)
        throw_bad_input(fmt::format("line {}: bank '{}' listed twice", line_of(b), *name), source);
    boot.banks.push_back(*alg);
  }

  if (const toml::node* loc = root.get("startup_locality")) {
    auto v = loc->value<int64_t>();
    if (!loc->is_integer() || (*v != 0 && *v != 3 && *v != 4))
      throw_bad_input(fmt::format("line {}: startup_locality must be 0, 3 or 4", line_of(*loc)),
                      source);
    boot.startup_locality = static_cast<uint8_t>(*v);
  }

  const toml::node* stages = root.get("stage");
  if (stages && !stages->is_array_of_tables())
    throw_bad_input(fmt::format("line {}: 'stage' must be [[stage]] tables", line_of(*stages)),
                    source);
  if (stages) {
    size_t index = 0;
    for (const auto& s : *stages->as_array()) {
      ++index;
      const toml::table& t = *s.as_table();
      std::map<std::string, StageFields::Field> fields;
      for (const auto& [key, node] : t) {
        std::string k(key.str());
        fields.emplace(k, convert(node, source, k));
      }
      StageFields f(source, index, line_of(s), std::move(fields));
      bool known = false;
      for (const auto& st : stage_types()) known = known || st.name == f.type();
      if (!known) {
        std::string names;
        for (const auto& st : stage_types())
          names += (names.empty() ? "" : ", ") + std::string(st.name);
        f.fail("type", fmt::format("'{}' is not a stage type ({})", f.type(), names));
      }
      boot.stages.push_back(std::move(f));
    }
  }
  if (boot.stages.empty()) throw_bad_input("has no [[stage]]: nothing would be measured", source);
  return boot;
}

BootDescription load_boot_description(const std::filesystem::path& path) {
  std::string text = read_text_file(path, 16u << 20);
  return parse_boot_description(text, path.string(), path.parent_path());
}

Chain predict_chain(BootDescription& boot, const ImageArtifacts* images,
                    std::set<std::filesystem::path>* inputs) {
  Chain chain;
  chain.startup_locality = boot.startup_locality;
  StageContext ctx;
  ctx.base_dir = boot.base_dir;
  ctx.images = images;
  ctx.inputs = inputs;
  ctx.banks = boot.banks;
  ctx.startup_locality = boot.startup_locality;
  TxtLaunchState txt;  // written by the sinit stage, read by the tboot stage after it
  for (StageFields& f : boot.stages) {
    for (const auto& st : stage_types()) {
      if (st.name != f.type()) continue;
      for (Event& e : run_stage(st, f, ctx, txt)) chain.events.push_back(std::move(e));
    }
  }
  chain.dynamic_launch = txt.dynamic_launch;
  return chain;
}

}  // namespace integral
