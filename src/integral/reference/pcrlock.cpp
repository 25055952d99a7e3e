#include "integral/reference/pcrlock.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "integral/util/error.h"

namespace integral {

namespace {

// The part of an artifact that names its file ("uki.efi#.linux" -> "uki.efi"; "profile
// a.bin, event #3" -> "profile a.bin").
std::string artifact_file(const std::string& artifact) {
  std::string a = artifact.substr(0, artifact.find('#'));
  if (const auto comma = a.find(", event"); comma != std::string::npos) a.resize(comma);
  while (!a.empty() && a.back() == ' ') a.pop_back();
  return a;
}

// The stage family of a rule ("uki/systemd-257/name" -> "uki").
std::string rule_family(const std::string& rule) {
  return rule.substr(0, rule.find('/'));
}

// A file-name-safe label: the family and the artifact's base name ("uki.efi#.initrd" ->
// "uki.efi_.initrd").
std::string label(const std::string& family, const std::string& file) {
  std::string base = file.substr(file.find_last_of('/') + 1),
              out = family.empty() ? "event" : family;
  if (!base.empty()) out += "-" + base;
  for (char& c : out)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
  return out.substr(0, 80);
}

nlohmann::ordered_json record(const Event& e) {
  std::vector<const Digest*> ds;
  for (const Digest& d : e.digests) ds.push_back(&d);
  std::sort(ds.begin(), ds.end(),
            [](const Digest* a, const Digest* b) { return a->alg() < b->alg(); });
  auto digests = nlohmann::ordered_json::array();
  for (const Digest* d : ds)
    digests.push_back({{"hashAlg", std::string(hash_alg_name(d->alg()))}, {"digest", d->hex()}});
  return {{"pcr", e.pcr}, {"digests", digests}};
}

}  // namespace

std::vector<PcrlockComponent> pcrlock_components(const Prediction& p, size_t& skipped,
                                                 unsigned first) {
  skipped = 0;
  std::vector<PcrlockComponent> out;
  std::string key;  // the current run's family and artifact
  nlohmann::ordered_json records = nlohmann::ordered_json::array();
  std::string run_label;
  auto flush = [&] {
    if (records.empty()) return;
    PcrlockComponent c;
    c.records = records.size();
    if (first + out.size() > 999)
      throw_usage(fmt::format("{} components from {} pass 999", out.size() + 1, first));
    c.name =
        fmt::format("{:03}-integral-{}-{}.pcrlock", first + out.size(), out.size() + 1, run_label);
    c.text = nlohmann::ordered_json{{"records", records}}.dump() + "\n";
    out.push_back(std::move(c));
    records = nlohmann::ordered_json::array();
  };
  for (const Event& e : p.chain.events) {
    if (!e.extends()) continue;  // EV_NO_ACTION: logged, never extended
    if (e.pcr > 15 || e.sets) {
      ++skipped;
      continue;
    }
    // A UKI's sections are one component (as pcrlock's lock-uki writes them), and so is what
    // GRUB measures for one boot (its commands, the files it reads, the kernel shim verifies
    // for it: each command names its own grub.cfg line); anything else is one per artifact, a
    // section of a file included (the kernel's command line and its initrd are two, as
    // lock-kernel-cmdline and lock-kernel-initrd write them).
    const std::string family = rule_family(e.provenance.rule);
    const std::string file =
        family == "uki"    ? artifact_file(e.provenance.artifact)
        : family == "grub" ? std::string("boot")
                           : e.provenance.artifact.substr(0, e.provenance.artifact.find(", event"));
    if (family + "\n" + file != key) {
      flush();
      key = family + "\n" + file;
      run_label = label(family, file);
    }
    records.push_back(record(e));
  }
  flush();
  return out;
}

}  // namespace integral
