// Stage "profile": the events only the platform knows, copied from a reference event log of the
// same platform (same firmware build, VM configuration or machine), so that the rest of the
// prediction can be computed from the new boot chain's artifacts.
//   log = "reference.bin"    a TCG firmware log (binary, SHA-1 or crypto-agile) or a
//                            go-attestation JSON dump, recorded once from a boot of the platform
//
// Which events are kept (PCRs 0-7 are the firmware's; the PC Client profile leaves 8-15 to the
// OS loaders, so events there always belong to the boot chain and are never copied):
//   PCRs 0, 1, 2, 3, 6   every event (firmware code and version, configuration and boot
//                        variables, option ROMs and their configuration, platform specific)
//   PCRs 4, 5, 7         the events up to and including the PCR's first EV_SEPARATOR, which the
//                        firmware logs at ReadyToBoot, before it starts any boot application:
//                        PCR 4's EV_EFI_ACTION "Calling EFI Application from Boot Option",
//                        PCR 7's Secure Boot policy (SecureBoot, PK, KEK, db, dbx, ...) and
//                        the authorities of drivers verified before boot
// Everything after those separators is the boot chain's, predicted by the other stages from
// the new artifacts, never copied: PCR 4's EV_EFI_BOOT_SERVICES_APPLICATION images (uefi-app),
// PCR 5's EV_EFI_GPT_EVENT and the Exit Boot Services actions (uefi-app exit_boot_services;
// leave it out for firmware that omits them), PCR 7's EV_EFI_VARIABLE_AUTHORITY for the images
// the boot chain loads (secureboot). EV_NO_ACTION events are never copied (never extended); a
// StartupLocality event (or, without one, an EV_EFI_HCRTM_EVENT first in PCR 0, which starts it
// at locality 4) must agree with the boot description's startup_locality.
// An EV_EFI_BOOT_SERVICES_APPLICATION before PCR 4's separator is an image started outside the
// boot manager (QEMU's -kernel): copying its digest would hide a change of that image, so the
// stage refuses such a log.
// Each copied event keeps the log's type, data and digests, with provenance
// "profile FILE, event #N" (N counts from 0 at the log's first event, as tpm2_eventlog does).
//   boot_entries = ['0005:debian:disk.img:1:\EFI\debian\shimx64.efi']   boot options the
//                  image installs (NUMBER:LABEL:DISK:PARTITION:LOADER, as efibootmgr --create
//                  writes them): PCR 1's BootOrder and Boot#### events are recomputed with these
//                  first and the platform's own options (the log's) after them
//                  (predict/boot_entries.h)
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "integral/chain/event_type.h"
#include "integral/eventlog/event_log.h"
#include "integral/formats/gpt.h"
#include "integral/predict/boot_entries.h"
#include "integral/predict/stage.h"
#include "integral/predict/uefi_events.h"
#include "integral/util/error.h"
#include "integral/util/mapped_file.h"

namespace integral {

std::vector<Event> run_profile_stage(StageFields& f, const StageContext& ctx) {
  std::string path = f.required_string("log");
  const auto entries = f.strings("boot_entries").value_or(std::vector<std::string>{});
  f.finish();
  std::string file = ctx.resolve(path).string();
  const EventLog log = f.reading("log", [&] { return load_event_log(file); });
  for (HashAlg alg : ctx.banks)
    if (std::find(log.banks().begin(), log.banks().end(), alg) == log.banks().end())
      f.fail("log", fmt::format("{} has no {} digests; a profile must carry every predicted bank",
                                file, hash_alg_name(alg)));

  // PCRs whose events stop at the first separator; the rest of 0-7 is copied whole.
  constexpr std::array<bool, 8> kUntilSeparator = {false, false, false, false,
                                                   true,  true,  false, true};
  // PCR 0 begun by an H-CRTM event (no StartupLocality event) started at locality 4.
  if (pcr0_starts_by_hcrtm(log.chain()) && ctx.startup_locality != 4)
    f.fail("log", fmt::format("{}: PCR 0 starts at locality 4 (H-CRTM event first, PC Client "
                              "PFP); set startup_locality = 4 in the boot description",
                              file));
  std::array<bool, 8> closed{};  // separator seen
  std::vector<Event> out;
  const auto& events = log.chain().events;
  for (size_t n = 0; n < events.size(); ++n) {
    const Event& e = events[n];
    if (!e.extends()) {
      if (auto loc = startup_locality_of(e); loc && *loc != ctx.startup_locality)
        f.fail("log", fmt::format("{} event #{}: PCR 0 starts at locality {}; set "
                                  "startup_locality = {} in the boot description",
                                  file, n, *loc, *loc));
      continue;
    }
    if (e.pcr > 7) continue;
    if (closed[e.pcr]) continue;
    if (e.pcr == 4 && e.type == ev::kEfiBootServicesApplication)
      f.fail("log", fmt::format("{} event #{}: a UEFI application is measured into PCR 4 before "
                                "the firmware's separator (an image started outside the boot "
                                "manager, e.g. QEMU -kernel); it belongs to the boot chain and "
                                "cannot be part of a profile",
                                file, n));
    Event c;
    c.pcr = e.pcr;
    c.type = e.type;
    c.data = e.data;
    c.description = e.description;
    for (HashAlg alg : ctx.banks) {
      const Digest* d = e.digest(alg);
      if (!d)
        f.fail("log", fmt::format("{} event #{} has no {} digest", file, n, hash_alg_name(alg)));
      c.digests.push_back(*d);
    }
    c.provenance.artifact = fmt::format("profile {}, event #{}", file, n);
    c.provenance.rule = "profile/copy";
    c.provenance.offset = e.provenance.offset;
    out.push_back(std::move(c));
    if (kUntilSeparator[e.pcr] && e.type == ev::kSeparator) closed[e.pcr] = true;
  }
  for (unsigned pcr : {4u, 5u, 7u})
    if (!closed[pcr])
      f.fail("log", fmt::format("{} has no EV_SEPARATOR in PCR {}: not a complete UEFI boot log "
                                "(the profile ends at the firmware's separators)",
                                file, pcr));
  if (entries.empty()) return out;
  std::vector<InstalledOption> installed;
  for (size_t i = 0; i < entries.size(); ++i) {
    const BootEntry b = f.reading("boot_entries", [&] {
      return parse_boot_entry(entries[i], fmt::format("boot_entries[{}]", i));
    });
    auto disk = uefi::open_artifact(f, "boot_entries", b.disk, ctx);
    const GptData gpt =
        f.reading("boot_entries", [&] { return efi_gpt_data(disk->bytes(), disk->path()); });
    auto part = std::find_if(gpt.entries.begin(), gpt.entries.end(),
                             [&](const GptPartition& p) { return p.number == b.partition; });
    if (part == gpt.entries.end())
      f.fail("boot_entries", fmt::format("{} has no partition {}", disk->path(), b.partition));
    installed.push_back({b.number, efi_load_option(b, *part),
                         fmt::format("{} partition {} {}", disk->path(), b.partition, b.loader)});
  }
  return f.reading("boot_entries",
                   [&] { return with_boot_options(out, installed, ctx.banks, file); });
}

}  // namespace integral
