#include "integral/predict/boot_entries.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "integral/chain/event_type.h"
#include "integral/eventlog/event_data_text.h"
#include "integral/predict/uefi_authority.h"
#include "integral/predict/uefi_events.h"
#include "integral/util/bytes.h"
#include "integral/util/error.h"
#include "integral/util/number.h"

namespace integral {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep, size_t max) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < max) {
    auto at = s.find(sep);
    if (at == std::string_view::npos) break;
    out.push_back(s.substr(0, at));
    s = s.substr(at + 1);
  }
  out.push_back(s);
  return out;
}

std::string boot_name(uint16_t n) {
  return fmt::format("Boot{:04X}", n);
}

}  // namespace

BootEntry parse_boot_entry(std::string_view text, const std::string& what) {
  auto parts = split(text, ':', 5);
  if (parts.size() != 5)
    throw_bad_input(fmt::format("{}: '{}' is not NUMBER:LABEL:DISK:PARTITION:LOADER", what, text));
  BootEntry e;
  // 4 hex digits, and a decimal partition number from 1 (parse_uint takes no sign or space)
  const auto num = parse_uint("0x" + std::string(parts[0]));
  if (parts[0].size() != 4 || !num)
    throw_bad_input(
        fmt::format("{}: '{}' is not a 4-digit hex boot option number", what, parts[0]));
  e.number = static_cast<uint16_t>(*num);
  e.label = std::string(parts[1]);
  e.disk = std::string(parts[2]);
  const auto part = parts[3].find_first_not_of("0123456789") == std::string_view::npos
                        ? parse_uint(parts[3])
                        : std::nullopt;
  if (!part || *part == 0 || *part > 999)
    throw_bad_input(fmt::format("{}: '{}' is not a partition number", what, parts[3]));
  e.partition = static_cast<uint32_t>(*part);
  e.loader = std::string(parts[4]);
  if (e.label.empty() || e.disk.empty() || e.loader.empty() || e.loader[0] != '\\')
    throw_bad_input(
        fmt::format("{}: needs a label, a disk and a loader path starting with '\\'", what));
  return e;
}

std::vector<uint8_t> efi_load_option(const BootEntry& e, const GptPartition& p) {
  std::vector<uint8_t> path;
  // Media device path, hard drive (UEFI 2.10 §10.3.5.1): 42 bytes
  path.insert(path.end(), {0x04, 0x01, 42, 0});
  append_le32(path, p.number);
  append_le64(path, p.first_lba);
  append_le64(path, p.last_lba - p.first_lba + 1);
  path.insert(path.end(), p.unique.begin(), p.unique.end());
  path.push_back(0x02);  // MBRType: GPT
  path.push_back(0x02);  // SignatureType: GUID
  // Media device path, file path: the loader in UTF-16 with its NUL
  const auto file = uefi::utf16le(e.loader, true);
  path.insert(path.end(), {0x04, 0x04});
  append_le16(path, static_cast<uint16_t>(4 + file.size()));
  path.insert(path.end(), file.begin(), file.end());
  path.insert(path.end(), {0x7f, 0xff, 0x04, 0x00});  // end of the path
  std::vector<uint8_t> opt;
  append_le32(opt, 1);  // LOAD_OPTION_ACTIVE
  append_le16(opt, static_cast<uint16_t>(path.size()));
  const auto label = uefi::utf16le(e.label, true);
  opt.insert(opt.end(), label.begin(), label.end());
  opt.insert(opt.end(), path.begin(), path.end());
  return opt;
}

std::vector<Event> with_boot_options(const std::vector<Event>& events,
                                     const std::vector<InstalledOption>& installed,
                                     std::span<const HashAlg> banks, const std::string& source) {
  auto boot_var = [](const Event& e) {
    return e.pcr == 1 && e.type && *e.type == ev::kEfiVariableBoot;
  };
  std::optional<size_t> first;
  std::vector<uint16_t> order;
  std::map<uint16_t, const Event*> platform;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (!boot_var(e)) continue;
    if (!first) first = i;
    auto v = parse_uefi_variable(e.data);
    if (!v) continue;
    if (v->name == "BootOrder") {
      for (size_t k = 0; k + 1 < v->data.size(); k += 2)
        order.push_back(static_cast<uint16_t>(v->data[k] | v->data[k + 1] << 8));
    } else if (auto n = v->name.size() == 8 && v->name.starts_with("Boot")
                            ? parse_uint("0x" + v->name.substr(4))
                            : std::nullopt) {
      platform[static_cast<uint16_t>(*n)] = &e;
    }
  }
  if (!first || order.empty())
    throw_bad_input(
        fmt::format("{} has no BootOrder event in PCR 1 to install boot options "
                    "into",
                    source));
  std::vector<uint16_t> new_order;
  for (const auto& o : installed) new_order.push_back(o.number);
  for (uint16_t n : order)
    if (std::find(new_order.begin(), new_order.end(), n) == new_order.end()) new_order.push_back(n);

  std::vector<Event> seq;
  std::vector<uint8_t> order_bytes;
  for (uint16_t n : new_order) append_le16(order_bytes, n);
  auto variable = [&](const std::string& name, const std::vector<uint8_t>& data,
                      const std::string& artifact) {
    Event e = uefi::measured_event(1, ev::kEfiVariableBoot,
                                   uefi::variable_data(uefi::kGlobalGuid, name, data), data, banks);
    e.description = describe_event(ev::kEfiVariableBoot, e.data);
    e.provenance = {artifact, "profile/boot-option", std::nullopt};
    return e;
  };
  seq.push_back(variable(
      "BootOrder", order_bytes,
      fmt::format("BootOrder: {} installed option(s) first, then {}'s", installed.size(), source)));
  for (uint16_t n : new_order) {
    auto mine = std::find_if(installed.begin(), installed.end(),
                             [&](const InstalledOption& o) { return o.number == n; });
    if (mine != installed.end())
      seq.push_back(variable(boot_name(n), mine->option, mine->artifact));
    else if (auto it = platform.find(n); it != platform.end())
      seq.push_back(*it->second);
  }
  std::vector<Event> out;
  for (size_t i = 0; i < events.size(); ++i) {
    if (i == *first) out.insert(out.end(), seq.begin(), seq.end());
    if (!boot_var(events[i])) out.push_back(events[i]);
  }
  return out;
}

}  // namespace integral
