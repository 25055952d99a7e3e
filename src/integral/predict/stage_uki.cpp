// Stage "uki": systemd-stub measures the sections of the Unified Kernel Image it runs from into
// PCR 11, in its canonical section order: for each non-empty section, H(name + NUL in ASCII),
// then H(contents as loaded: VirtualSize bytes). .pcrsig is never measured. Optional boot
// phases (systemd-pcrphase) extend H(word) afterwards.
//   uki = "uki.efi"                           the sections are read from the image, or
//   linux = "vmlinuz", osrel = "os-release", cmdline = "...", initrd = "...", ...   (files, as
//                                             systemd-measure calculate takes them)
//   systemd_version = 252                     the stub's version: its section order
//   phases = ["enter-initrd", ...]            optional pcrphase words, extended in order
#include <fmt/format.h>

#include <array>

#include "integral/chain/event_type.h"
#include "integral/crypto/multi_hasher.h"
#include "integral/formats/mapped_input.h"
#include "integral/formats/pe.h"
#include "integral/predict/stage.h"
#include "integral/predict/uefi_events.h"
#include "integral/util/error.h"

namespace integral {

namespace {

// systemd's UnifiedSection enum (src/fundamental/uki.h) over time; each change alters PCR 11
// for the same inputs. 252 is checked against Debian's systemd-measure 252; the later orders
// follow uki.h's history in systemd's repository.
std::vector<std::string_view> section_order(int version) {
  if (version < 254)
    return {".linux", ".osrel", ".cmdline", ".initrd", ".splash", ".dtb", ".pcrpkey"};
  if (version < 256)
    return {".linux", ".osrel", ".cmdline", ".initrd", ".splash",
            ".dtb",   ".uname", ".sbat",    ".pcrpkey"};
  return {".linux",  ".osrel", ".cmdline", ".initrd", ".ucode",
          ".splash", ".dtb",   ".uname",   ".sbat",   ".pcrpkey"};
}

// Sections whose measurement depends on more than the image (multi-profile UKIs, .dtbauto):
// not modelled, so refused rather than predicted wrongly.
constexpr std::array<std::string_view, 4> kUnmodelled = {".profile", ".dtbauto", ".hwids",
                                                         ".efifw"};

Event name_event(std::string_view name, std::span<const HashAlg> banks, const std::string& artifact,
                 const std::string& rule) {
  std::string with_nul(name);
  with_nul.push_back('\0');
  Event e;
  e.pcr = 11;
  e.type = ev::kIpl;
  e.digests = uefi::hash_banks(
      banks, std::span(reinterpret_cast<const uint8_t*>(with_nul.data()), with_nul.size()));
  e.data = uefi::utf16le(name, true);  // the stub logs the name in UTF-16
  e.description = fmt::format("systemd-stub section name {}", name);
  e.provenance = {artifact, rule + "/name", std::nullopt};
  return e;
}

}  // namespace

std::vector<Event> run_uki_stage(StageFields& f, const StageContext& ctx) {
  auto uki = f.string("uki");
  int64_t version = f.integer("systemd_version").value_or(252);
  auto phases = f.strings("phases");
  if (version < 252)
    f.fail("systemd_version", fmt::format("{} is not modelled (252 or later)", version));
  auto order = section_order(static_cast<int>(version));
  std::vector<std::pair<std::string_view, std::string>> files;  // section -> path
  for (auto name : order) {
    if (auto p = f.string(name.substr(1))) files.emplace_back(name, *p);
  }
  f.finish();
  if (uki && !files.empty())
    f.fail("uki", "takes the sections from the image; do not also name section files");
  if (!uki && files.empty()) f.fail("", "needs 'uki' or section files (linux = ..., osrel = ...)");

  const std::string rule = fmt::format("uki/systemd-{}", version);
  std::vector<Event> out;
  auto add_section = [&](std::string_view name, std::vector<Digest> digests,
                         const std::string& artifact) {
    out.push_back(name_event(name, ctx.banks, artifact, rule));
    Event e;
    e.pcr = 11;
    e.type = ev::kIpl;
    e.digests = std::move(digests);
    e.data = uefi::utf16le(name, true);
    e.description = fmt::format("systemd-stub section {}", name);
    e.provenance = {artifact, rule + "/section", std::nullopt};
    out.push_back(std::move(e));
  };

  if (uki) {
    auto in = uefi::open_artifact(f, "uki", *uki, ctx);
    PeImage img = parse_pe(in->bytes(), in->path());
    for (auto bad : kUnmodelled)
      if (img.section(bad))
        f.fail("uki", fmt::format("{}: section {} (multi-profile/hardware-dependent UKIs) is not "
                                  "modelled",
                                  in->path(), bad));
    for (auto name : order) {
      const PeSection* s = img.section(name);
      if (!s || s->virtual_size == 0) continue;  // the stub skips absent and empty sections
      add_section(name, uefi::hash_section(*in, *s, ctx.banks),
                  fmt::format("{}#{}", in->path(), name));
    }
  } else {
    for (const auto& [name, path] : files) {
      auto in = uefi::open_artifact(f, name.substr(1), path, ctx);
      if (in->bytes().empty()) continue;  // systemd-measure skips empty files, as the stub does
      MultiHasher h(ctx.banks);
      h.update(in->bytes());
      add_section(name, h.finish(), in->path());
    }
  }

  for (const auto& word : phases.value_or(std::vector<std::string>{})) {
    Event e;
    e.pcr = 11;  // systemd-pcrphase logs to its own userspace log, not the firmware's
    e.digests = uefi::hash_banks(
        ctx.banks, std::span(reinterpret_cast<const uint8_t*>(word.data()), word.size()));
    e.description = fmt::format("systemd-pcrphase {}", word);
    e.provenance = {"systemd-pcrphase", "uki/phase", std::nullopt};
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace integral
