// Stage "uefi-app": UEFI firmware (EDK2's DxeTpm2MeasureBootLib) measures every PE image started
// through LoadImage into PCR 4 as EV_EFI_BOOT_SERVICES_APPLICATION, digest = the image's
// Authenticode hash; plus the fixed events EDK2's boot manager logs around them.
//   images = ["EFI/BOOT/BOOTX64.EFI", "uki.efi#.linux"]   in load order; "FILE#SECTION" is a PE
//            image embedded as a section (systemd-stub starts the UKI's .linux through
//            LoadImage, so the firmware measures the kernel too)
//   ready_to_boot = true       first: EV_EFI_ACTION "Calling EFI Application from Boot Option"
//                              in PCR 4, then EV_SEPARATOR in PCRs 0-6 (PCR 7's comes with the
//                              secureboot stage)
//   exit_boot_services = true  last: PCR 5 EV_EFI_ACTION "Exit Boot Services Invocation" and
//                              "Exit Boot Services Returned with Success"
//   padding = "as-is"          or "sign-tool": hash unsigned images padded to 8 bytes, as they
//                              will be once sbsign/pesign have signed them
//   image_digests = ["sha1:HEX,sha256:HEX", ...]   instead of images: the images' Authenticode
//                              digests, one string per image in load order, every predicted bank
//                              given (a vendor's published digests, binaries not at hand)
#include <fmt/format.h>

#include <algorithm>

#include "integral/chain/event_type.h"
#include "integral/formats/pe.h"
#include "integral/predict/stage.h"
#include "integral/predict/uefi_events.h"
#include "integral/util/error.h"
#include "integral/util/mapped_file.h"

namespace integral {

namespace {

// The EV_EFI_BOOT_SERVICES_APPLICATION of one "FILE" or "FILE#SECTION" of 'images'.
Event image_event(StageFields& f, const StageContext& ctx, const std::string& entry,
                  PePadding padding) {
  auto hashpos = entry.find('#');
  std::string path = entry.substr(0, hashpos);
  auto in = uefi::open_artifact(f, "images", path, ctx);
  std::span<const uint8_t> bytes = in->bytes();
  std::string artifact = in->path();
  if (hashpos != std::string::npos) {
    std::string section = entry.substr(hashpos + 1);
    PeImage outer = parse_pe(bytes, in->path());
    const PeSection* s = outer.section(section);
    if (!s) f.fail("images", fmt::format("{} has no section '{}'", in->path(), section));
    if (section_zero_fill(*s) > 0)
      f.fail("images", fmt::format("{}: section {} is larger in memory than in the file; an "
                                   "image embedded there is not modelled",
                                   in->path(), section));
    bytes = section_file_bytes(bytes, *s);
    artifact += "#" + section;
  }
  PeImage img = parse_pe(bytes, artifact);
  Event e;
  e.pcr = 4;
  e.type = ev::kEfiBootServicesApplication;
  e.digests = authenticode_digests(bytes, img, ctx.banks, padding);
  // The logged UEFI_IMAGE_LOAD_EVENT holds the load address and device path: known only at
  // boot, so not predicted.
  e.description = fmt::format("UEFI application {}", entry);
  e.provenance = {
      artifact,
      fmt::format("uefi-app/authenticode{}", padding == PePadding::kSignTool ? "+pad8" : ""),
      std::nullopt};
  return e;
}

// The event of 'image_digests' entry `number` (from 1): "ALG:HEX,ALG:HEX", every bank given.
Event given_digest_event(StageFields& f, const StageContext& ctx, size_t number,
                         std::string_view rest) {
  Event e;
  e.pcr = 4;
  e.type = ev::kEfiBootServicesApplication;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    auto colon = item.find(':');
    auto alg =
        colon == std::string_view::npos ? std::nullopt : parse_hash_alg(item.substr(0, colon));
    auto d = alg ? Digest::from_hex(*alg, item.substr(colon + 1)) : std::nullopt;
    if (!d)
      f.fail("image_digests",
             fmt::format("entry {}: '{}' is not ALG:HEX (sha256:...)", number, item));
    if (e.digest(*alg))
      f.fail("image_digests", fmt::format("entry {} gives {} twice", number, hash_alg_name(*alg)));
    if (std::find(ctx.banks.begin(), ctx.banks.end(), *alg) != ctx.banks.end())
      e.digests.push_back(*d);
  }
  for (HashAlg alg : ctx.banks)
    if (!e.digest(alg))
      f.fail("image_digests", fmt::format("entry {} has no {} digest", number, hash_alg_name(alg)));
  e.description = fmt::format("UEFI application #{} (given digest)", number);
  e.provenance = {f.file(), "uefi-app/given-digest", std::nullopt};
  return e;
}

}  // namespace

std::vector<Event> run_uefi_app_stage(StageFields& f, const StageContext& ctx) {
  auto images = f.strings("images").value_or(std::vector<std::string>{});
  bool ready = f.boolean("ready_to_boot").value_or(false);
  bool ebs = f.boolean("exit_boot_services").value_or(false);
  std::string pad = f.string("padding").value_or("as-is");
  auto given = f.strings("image_digests").value_or(std::vector<std::string>{});
  f.finish();
  if (!images.empty() && !given.empty())
    f.fail("image_digests",
           "give 'images' or 'image_digests', not both (their order is the load "
           "order)");
  PePadding padding = PePadding::kAsIs;
  if (pad == "sign-tool")
    padding = PePadding::kSignTool;
  else if (pad != "as-is")
    f.fail("padding", fmt::format("'{}' is not as-is or sign-tool", pad));
  if (images.empty() && given.empty() && !ready && !ebs)
    f.fail("", "measures nothing: give 'images'");

  std::vector<Event> out;
  if (ready) {
    out.push_back(uefi::action_event(4, "Calling EFI Application from Boot Option", ctx.banks));
    for (unsigned pcr = 0; pcr <= 6; ++pcr) out.push_back(uefi::separator_event(pcr, ctx.banks));
  }
  for (const auto& entry : images) out.push_back(image_event(f, ctx, entry, padding));
  for (size_t i = 0; i < given.size(); ++i)
    out.push_back(given_digest_event(f, ctx, i + 1, given[i]));
  if (ebs) {
    out.push_back(uefi::action_event(5, "Exit Boot Services Invocation", ctx.banks));
    out.push_back(uefi::action_event(5, "Exit Boot Services Returned with Success", ctx.banks));
  }
  return out;
}

}  // namespace integral
