// Stage "uki": systemd-stub measures the sections of the Unified Kernel Image it runs from into
// PCR 11, in its canonical section order: for each non-empty section, H(name + NUL in ASCII),
// then H(contents as loaded: VirtualSize bytes). .pcrsig is never measured. Optional boot
// phases (systemd-pcrphase) extend H(word) afterwards.
//   uki = "uki.efi"                           the sections are read from the image, or
//   linux = "vmlinuz", osrel = "os-release", cmdline = "...", initrd = "...", ...   (files, as
//                                             systemd-measure calculate takes them)
//   systemd_version = 254                     the stub's version: its section order. Taken
//                                             from the UKI's .sdmagic when not given; needed
//                                             with section files
//   phases = ["enter-initrd", ...]            optional pcrphase words, extended in order
// A UKI section the stub's version does not measure (.uname in a 252 image, say) is refused:
// either the version is wrong or the stub ignores what its builder meant it to measure.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>

#include "integral/chain/event_type.h"
#include "integral/crypto/multi_hasher.h"
#include "integral/formats/pe.h"
#include "integral/predict/stage.h"
#include "integral/predict/uefi_events.h"
#include "integral/util/error.h"
#include "integral/util/mapped_file.h"

namespace integral {

namespace {

constexpr int kOldestModelled = 252;
constexpr int kNewestModelled = 257;

// systemd's UnifiedSection enum (src/fundamental/uki.h) over time, less .pcrsig (never
// measured); each change alters PCR 11 for the same inputs. 252, 254 and 257 are checked
// against Debian's systemd-measure of those versions (tests/uki_versions_test.sh); 255 and 256
// follow uki.h's history. 253 is refused: whether its stub measures .uname/.sbat is unverified.
std::vector<std::string_view> section_order(int version) {
  if (version == 252)
    return {".linux", ".osrel", ".cmdline", ".initrd", ".splash", ".dtb", ".pcrpkey"};
  if (version < 256)
    return {".linux", ".osrel", ".cmdline", ".initrd", ".splash",
            ".dtb",   ".uname", ".sbat",    ".pcrpkey"};
  return {".linux", ".osrel", ".cmdline", ".initrd",  ".ucode",  ".splash",
          ".dtb",   ".uname", ".sbat",    ".pcrpkey", ".profile"};
}

// Every section name some systemd-stub version gives a meaning; one the chosen version does not
// measure is refused unless that version ignores it by design (below).
constexpr std::array<std::string_view, 15> kUkiSections = {
    ".linux", ".osrel",  ".cmdline", ".initrd",  ".ucode",   ".splash", ".dtb",  ".uname",
    ".sbat",  ".pcrsig", ".pcrpkey", ".profile", ".dtbauto", ".hwids",  ".efifw"};

// .pcrsig holds the signature of the expected PCR 11, so no version measures it; before 254,
// .sbat is the stub's own SBAT data (every 252 stub carries one), not a UKI section.
bool ignored_by_design(std::string_view name, int version) {
  return name == ".pcrsig" || (name == ".sbat" && version < 254);
}

// Sections whose measurement depends on more than the image (.dtbauto, .hwids: the hardware) or
// that no modelled version knows: not modelled, so refused rather than predicted. (.profile,
// from 257: the profile booted is the stage's `profile`.)
constexpr std::array<std::string_view, 3> kUnmodelled = {".dtbauto", ".hwids", ".efifw"};

void check_modelled(StageFields& f, int64_t version, std::string_view key, std::string_view from) {
  if (version < kOldestModelled || version > kNewestModelled || version == 253)
    f.fail(key, fmt::format("systemd-stub {}{}: its PCR 11 section order is not modelled "
                            "(modelled: 252 and 254-{})",
                            version, from, kNewestModelled));
}

// The stub's version from its .sdmagic section ("#### LoaderInfo: systemd-stub 254.26-1 ####"
// in systemd's own builds and Debian's): the major number. Failures name file and offset.
int sdmagic_version(StageFields& f, const MappedFile& in, const PeSection& s) {
  auto where =
      fmt::format("{}: section .sdmagic (file offset {:#x})", in.path(), s.pointer_to_raw_data);
  const uefi::StubMagic m = uefi::parse_stub_magic(uefi::section_text(f, "uki", in, s, 4096));
  if (!m.tagged)
    f.fail("uki", fmt::format("{} does not say 'LoaderInfo: systemd-stub <version>': not a "
                              "systemd-stub UKI? (set systemd_version to predict it anyway)",
                              where));
  if (m.digits == 0 || m.digits > 4)
    f.fail("uki", fmt::format("{}: no version number (1 to 4 digits) after 'systemd-stub' at "
                              "offset {:#x}",
                              where, s.pointer_to_raw_data + m.number_at));
  check_modelled(f, m.major, "uki", fmt::format(" ({})", where));
  return m.major;
}

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

struct UkiFields {
  std::optional<std::string> uki;
  std::optional<int64_t> given;  // systemd_version
  std::optional<std::vector<std::string>> phases;
  std::optional<int64_t> profile;
  std::vector<std::pair<std::string_view, std::string>> files;  // section -> path
};

UkiFields read_fields(StageFields& f) {
  UkiFields u;
  u.uki = f.string("uki");
  u.given = f.integer("systemd_version");
  u.phases = f.strings("phases");
  u.profile = f.integer("profile");
  for (auto name : section_order(kNewestModelled)) {
    if (name == ".profile") continue;  // `profile` selects a profile of an image instead
    if (auto p = f.string(name.substr(1))) u.files.emplace_back(name, *p);
  }
  f.finish();
  if (u.uki && !u.files.empty())
    f.fail("uki", "takes the sections from the image; do not also name section files");
  if (!u.uki && u.files.empty())
    f.fail("", "needs 'uki' or section files (linux = ..., osrel = ...)");
  if (u.given) check_modelled(f, *u.given, "systemd_version", "");
  if (u.profile && (*u.profile < 0 || *u.profile > 255))
    f.fail("profile", "must lie between 0 and 255");
  if (u.profile && !u.uki) f.fail("profile", "selects a profile of a UKI image ('uki')");
  return u;
}

// The stub's version: the image's .sdmagic, else systemd_version. The stub that runs is the one
// inside the image, so its .sdmagic is the authority; a systemd_version that contradicts it
// would predict another stub's order.
int stub_version(StageFields& f, const UkiFields& u, const MappedFile* in, const PeImage& img) {
  if (!in) {
    if (!u.given)
      f.fail("",
             "needs systemd_version with section files: the section order, and which sections "
             "are measured, depend on the stub's version (e.g. systemd_version = 254)");
    return static_cast<int>(*u.given);
  }
  if (const PeSection* magic = img.section(".sdmagic")) {
    int found = sdmagic_version(f, *in, *magic);
    if (u.given && *u.given != found)
      f.fail("systemd_version", fmt::format("is {}, but {} says systemd-stub {} (section .sdmagic)",
                                            *u.given, in->path(), found));
    return found;
  }
  if (!u.given)
    f.fail("uki", fmt::format("{} has no .sdmagic section naming its systemd-stub version: "
                              "set systemd_version (the stub's major version, e.g. 254)",
                              in->path()));
  return static_cast<int>(*u.given);
}

// What the stub measures for one section: its name, then its contents.
struct SectionEvents {
  const StageContext& ctx;
  std::string rule;
  std::vector<Event>& out;
  void add(std::string_view name, std::vector<Digest> digests, const std::string& artifact) {
    out.push_back(name_event(name, ctx.banks, artifact, rule));
    Event e;
    e.pcr = 11;
    e.type = ev::kIpl;
    e.digests = std::move(digests);
    e.data = uefi::utf16le(name, true);
    e.description = fmt::format("systemd-stub section {}", name);
    e.provenance = {artifact, rule + "/section", std::nullopt};
    out.push_back(std::move(e));
  }
};

bool measured(const std::vector<std::string_view>& order, std::string_view name) {
  return std::find(order.begin(), order.end(), name) != order.end();
}

// The sections the stub sees for the booted profile (257's multi-profile UKIs): those before the
// first .profile are shared; each .profile starts a profile that runs to the next one, and its
// sections replace shared ones of the same name. Without .profile: every section (the first of
// a name, as the stub's lookup finds it).
std::vector<const PeSection*> profile_sections(StageFields& f, const MappedFile& in,
                                               const PeImage& img, int version,
                                               std::optional<int64_t> profile) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < img.sections.size(); ++i)
    if (img.sections[i].name == ".profile") starts.push_back(i);
  if (!starts.empty() && version < 257)
    f.fail("uki", fmt::format("{}: section .profile: multi-profile UKIs start with systemd-stub "
                              "257, this image's stub is {}",
                              in.path(), version));
  if (profile && static_cast<size_t>(*profile) >= std::max<size_t>(starts.size(), 1))
    f.fail("profile", fmt::format("{} has {} profile(s): no profile {}", in.path(),
                                  std::max<size_t>(starts.size(), 1), *profile));
  std::vector<const PeSection*> own, out;
  const size_t shared_end = starts.empty() ? img.sections.size() : starts[0];
  if (!starts.empty()) {
    const size_t k = static_cast<size_t>(profile.value_or(0));
    const size_t end = k + 1 < starts.size() ? starts[k + 1] : img.sections.size();
    for (size_t i = starts[k]; i < end; ++i) own.push_back(&img.sections[i]);
  }
  auto has = [](const std::vector<const PeSection*>& v, std::string_view name) {
    return std::any_of(v.begin(), v.end(), [&](const PeSection* s) { return s->name == name; });
  };
  for (size_t i = 0; i < shared_end; ++i)
    if (!has(own, img.sections[i].name) && !has(out, img.sections[i].name))
      out.push_back(&img.sections[i]);
  for (const PeSection* s : own)
    if (!has(out, s->name)) out.push_back(s);
  return out;
}

// The sections of the image, after refusing any the stub would not measure as modelled.
void add_image_sections(StageFields& f, const MappedFile& in, const PeImage& img, int version,
                        const std::vector<std::string_view>& order, std::optional<int64_t> profile,
                        SectionEvents& events) {
  for (auto bad : kUnmodelled)
    if (img.section(bad))
      f.fail("uki", fmt::format("{}: section {} (hardware-dependent UKIs) is not modelled",
                                in.path(), bad));
  const auto seen = profile_sections(f, in, img, version, profile);
  auto find = [&](std::string_view name) -> const PeSection* {
    for (const PeSection* s : seen)
      if (s->name == name) return s;
    return nullptr;
  };
  for (auto name : kUkiSections) {
    const PeSection* s = find(name);
    if (!s || s->virtual_size == 0 || measured(order, name) || ignored_by_design(name, version))
      continue;  // an empty section changes nothing in any version
    f.fail("uki", fmt::format("{}: section {} (section table at offset {:#x}) is not measured "
                              "by systemd-stub {} (it measures {}): an image built for another "
                              "stub version, or a wrong systemd_version",
                              in.path(), name, s->header_offset, version, fmt::join(order, " ")));
  }
  for (auto name : order) {
    const PeSection* s = find(name);
    if (!s || s->virtual_size == 0) continue;  // the stub skips absent and empty sections
    events.add(name, uefi::hash_section(in, *s, events.ctx.banks),
               fmt::format("{}#{}", in.path(), name));
  }
}

// The section files, in the stub's order whatever the order of the keys.
void add_section_files(StageFields& f, const UkiFields& u, int version,
                       const std::vector<std::string_view>& order, SectionEvents& events) {
  for (const auto& [name, path] : u.files)
    if (!measured(order, name))
      f.fail(name.substr(1), fmt::format("systemd-stub {} does not measure {} (it measures {})",
                                         version, name, fmt::join(order, " ")));
  for (auto name : order) {
    auto it = std::find_if(u.files.begin(), u.files.end(),
                           [&](const auto& file) { return file.first == name; });
    if (it == u.files.end()) continue;
    auto file = uefi::open_artifact(f, name.substr(1), it->second, events.ctx);
    if (file->bytes().empty()) continue;  // systemd-measure skips empty files, as the stub does
    MultiHasher h(events.ctx.banks);
    h.update(file->bytes());
    events.add(name, h.finish(), file->path());
  }
}

Event phase_event(const std::string& word, std::span<const HashAlg> banks) {
  Event e;
  e.pcr = 11;  // systemd-pcrphase logs to its own userspace log, not the firmware's
  e.digests = uefi::hash_banks(
      banks, std::span(reinterpret_cast<const uint8_t*>(word.data()), word.size()));
  e.description = fmt::format("systemd-pcrphase {}", word);
  e.provenance = {"systemd-pcrphase", std::string(kPcrphaseRule), std::nullopt};
  return e;
}

}  // namespace

std::vector<Event> run_uki_stage(StageFields& f, const StageContext& ctx) {
  const UkiFields u = read_fields(f);
  std::unique_ptr<MappedFile> in;
  PeImage img;
  if (u.uki) {
    in = uefi::open_artifact(f, "uki", *u.uki, ctx);
    img = parse_pe(in->bytes(), in->path());
  }
  const int version = stub_version(f, u, in.get(), img);
  const auto order = section_order(version);
  std::vector<Event> out;
  SectionEvents events{ctx, fmt::format("uki/systemd-{}", version), out};
  if (in)
    add_image_sections(f, *in, img, version, order, u.profile, events);
  else
    add_section_files(f, u, version, order, events);
  for (const auto& word : u.phases.value_or(std::vector<std::string>{}))
    out.push_back(phase_event(word, ctx.banks));
  return out;
}

}  // namespace integral
