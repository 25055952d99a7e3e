// Stage "shim": what shim (15.3 and later; checked against Debian 12's signed shim 16.1) measures
// after the firmware started it, in its order:
//   PCR 14  EV_IPL "MokList", "MokListX": H(the variable as shim mirrors it to its RT copy: its
//           built-in vendor certificate as one EFI_SIGNATURE_LIST (owner SHIM_LOCK_GUID), resp.
//           its built-in deny list, then the machine's own MokList / MokListX contents)
//   PCR 7   EV_EFI_VARIABLE_AUTHORITY "SbatLevel" (SHIM_LOCK_GUID): the SBAT revocation level shim
//           leaves in the variable; on a machine that has none yet, the one of its .sbatlevel
//           section its policy picks ("previous" by default)
//   PCR 14  EV_IPL "MokListTrusted": H(01), as when mokutil never changed it
//   then for each image shim verifies, in load order: the entry that admitted it, once per
//   distinct entry, as shim looks: the firmware's db (SHA-256 entries, then certificates:
//   authority "db"), then MokListRT (its vendor certificate first, then the MOKs: authority
//   "MokListRT", data = EFI_SIGNATURE_DATA); and, for the images shim starts itself (GRUB), PCR
//   4 EV_EFI_BOOT_SERVICES_APPLICATION with the image's Authenticode digest.
//   shim = "esp/EFI/BOOT/BOOTX64.EFI"   the signed shim: .vendor_cert and .sbatlevel
//   db_log = "profile.bin"              the firmware's db as a reference log recorded it (or
//   db = "db.esl"                       the variable's contents); the first place shim looks
//   mok = ["mok.der", ...]              X.509 certificates enrolled as MOKs, in MokList order
//                                       (one signature list each, as MokManager enrolls them)
//   sbat_level = "previous"             or "latest": which of shim's levels the machine holds;
//                                       or the level itself ("sbat,1,2024010900\nshim,4\n..."):
//                                       a machine whose SbatLevel is newer than this shim's
//                                       (shim keeps it), or a shim without .sbatlevel
//   images = ["esp/EFI/BOOT/grubx64.efi"]  what shim starts (authority, then PCR 4)
//   shim_lock = ["esp/vmlinuz"]         what is verified later through shim's protocol (the
//                                       kernel GRUB loads): its authority, when it is a new one
//                                       (the PCR 4 events are the grub stage's)
#include <fmt/format.h>

#include <algorithm>

#include "integral/chain/event_type.h"
#include "integral/formats/efi_signature_list.h"
#include "integral/formats/pe.h"
#include "integral/predict/stage.h"
#include "integral/predict/uefi_authority.h"
#include "integral/predict/uefi_events.h"
#include "integral/util/byte_reader.h"
#include "integral/util/bytes.h"
#include "integral/util/mapped_file.h"

namespace integral {

namespace {

// One EFI_SIGNATURE_LIST of one X.509 certificate owned by SHIM_LOCK_GUID, as shim builds the
// vendor certificate's list (and MokManager an enrolled key's).
std::vector<uint8_t> x509_list(std::span<const uint8_t> cert) {
  std::vector<uint8_t> l(kEfiCertX509Guid.begin(), kEfiCertX509Guid.end());
  append_le32(l, static_cast<uint32_t>(28 + 16 + cert.size()));  // SignatureListSize
  append_le32(l, 0);                                             // SignatureHeaderSize
  append_le32(l, static_cast<uint32_t>(16 + cert.size()));       // SignatureSize
  l.insert(l.end(), uefi::kShimLockGuid.begin(), uefi::kShimLockGuid.end());
  l.insert(l.end(), cert.begin(), cert.end());
  return l;
}

struct ShimBuild {
  std::vector<uint8_t> vendor_cert;  // X.509 (or, for a vendor_db build, signature lists)
  bool vendor_db = false;
  std::vector<uint8_t> vendor_dbx;  // signature lists
  std::string sbat_previous, sbat_latest;
};

// .vendor_cert: UINT32 authorized size, deauthorized size, authorized offset, deauthorized
// offset (from the section's start). .sbatlevel: UINT32 version 0, then the offsets of the
// "previous" and "latest" NUL-terminated levels, counted from the first offset field.
ShimBuild read_shim(std::span<const uint8_t> bytes, const std::string& path) {
  const PeImage pe = parse_pe(bytes, path);
  ShimBuild b;
  const PeSection* vc = pe.section(".vendor_cert");
  if (!vc) throw_bad_input("shim: no .vendor_cert section: not a shim build", path);
  ByteReader r(section_file_bytes(bytes, *vc), path, vc->pointer_to_raw_data);
  r.set_context("shim .vendor_cert");
  const uint32_t asz = r.u32(0, "authorized size"), dsz = r.u32(4, "deauthorized size");
  auto a = r.bytes(r.u32(8, "authorized offset"), asz, "vendor certificate");
  auto d = r.bytes(r.u32(12, "deauthorized offset"), dsz, "vendor deny list");
  b.vendor_cert.assign(a.begin(), a.end());
  b.vendor_dbx.assign(d.begin(), d.end());
  // shim tells a certificate from signature lists by whether the lists parse
  if (asz >= 28) {
    try {
      b.vendor_db = !parse_signature_lists(a, path).empty();
    } catch (const Error&) {
      b.vendor_db = false;
    }
  }
  if (const PeSection* sl = pe.section(".sbatlevel")) {
    ByteReader s(section_file_bytes(bytes, *sl), path, sl->pointer_to_raw_data);
    s.set_context("shim .sbatlevel");
    if (s.u32(0, "version") != 0) s.fail(0, "unknown .sbatlevel version");
    auto text = [&](uint64_t field) {
      const uint64_t at = 4 + uint64_t{s.u32(field, "level offset")};
      s.need(at, 1, "level");
      auto rest = s.data().subspan(static_cast<size_t>(at));
      auto nul = std::find(rest.begin(), rest.end(), uint8_t{0});
      if (nul == rest.end()) s.fail(at, "level without its NUL");
      return std::string(rest.begin(), nul);
    };
    b.sbat_previous = text(4);
    b.sbat_latest = text(8);
  }
  return b;
}

// EV_IPL "NAME\0" in PCR 14 extending H(the variable's contents).
Event ipl14(std::string_view name, std::span<const uint8_t> measured, const StageContext& ctx) {
  std::vector<uint8_t> data(name.begin(), name.end());
  data.push_back(0);
  return uefi::measured_event(14, ev::kIpl, std::move(data), measured, ctx.banks);
}

}  // namespace

std::vector<Event> run_shim_stage(StageFields& f, const StageContext& ctx) {
  const std::string shim_path = f.required_string("shim");
  auto db_log = f.string("db_log");
  auto db_file = f.string("db");
  auto moks = f.strings("mok").value_or(std::vector<std::string>{});
  const std::string sbat = f.string("sbat_level").value_or("previous");
  auto images = f.strings("images").value_or(std::vector<std::string>{});
  auto later = f.strings("shim_lock").value_or(std::vector<std::string>{});
  f.finish();
  if (db_log && db_file) f.fail("db_log", "give 'db' or 'db_log', not both");
  const bool literal = sbat.rfind("sbat,", 0) == 0;
  if (sbat != "previous" && sbat != "latest" && !literal)
    f.fail("sbat_level", fmt::format("'{}' is not previous, latest or a level (sbat,1,...)", sbat));

  auto shim = uefi::open_artifact(f, "shim", shim_path, ctx);
  const ShimBuild b = f.reading("shim", [&] { return read_shim(shim->bytes(), shim->path()); });
  if (b.vendor_db)
    f.fail("shim", fmt::format("{} carries a vendor db, not a certificate: not modelled yet",
                               shim->path()));
  if (b.sbat_previous.empty() && !literal)
    f.fail("shim", fmt::format("{} has no .sbatlevel section (shim before 15.7): give the "
                               "level itself in sbat_level",
                               shim->path()));

  // MokListRT: the vendor certificate's list, then the machine's MokList.
  std::vector<uint8_t> mok_list;
  if (!b.vendor_cert.empty()) mok_list = x509_list(b.vendor_cert);
  for (const auto& m : moks) {
    auto in = uefi::open_artifact(f, "mok", m, ctx);
    auto l = x509_list(in->bytes());
    mok_list.insert(mok_list.end(), l.begin(), l.end());
  }
  std::vector<Event> out;
  Event ml = ipl14("MokList", mok_list, ctx);
  ml.description = fmt::format("MokList: vendor certificate + {} MOK{}", moks.size(),
                               moks.size() == 1 ? "" : "s");
  ml.provenance = {shim->path(), "shim/moklist", std::nullopt};
  out.push_back(std::move(ml));
  Event mx = ipl14("MokListX", b.vendor_dbx, ctx);
  mx.description = "MokListX: shim's built-in deny list";
  mx.provenance = {shim->path(), "shim/moklistx", std::nullopt};
  out.push_back(std::move(mx));
  const std::string& level = literal ? sbat : sbat == "latest" ? b.sbat_latest : b.sbat_previous;
  Event sl = uefi::data_event(
      7, ev::kEfiVariableAuthority,
      uefi::variable_data(uefi::kShimLockGuid, "SbatLevel",
                          std::span(reinterpret_cast<const uint8_t*>(level.data()), level.size())),
      ctx.banks);
  sl.description =
      literal ? "SbatLevel (given)" : fmt::format("SbatLevel ({} level of shim)", sbat);
  sl.provenance = {shim->path(), "shim/sbatlevel", std::nullopt};
  out.push_back(std::move(sl));
  const uint8_t trusted[] = {1};
  Event mt = ipl14("MokListTrusted", trusted, ctx);
  mt.description = "MokListTrusted (default)";
  mt.provenance = {shim->path(), "shim/moklisttrusted", std::nullopt};
  out.push_back(std::move(mt));

  if (images.empty() && later.empty()) return out;
  std::vector<uint8_t> db;
  std::string db_name = "db";
  if (db_log) {
    db_name = ctx.resolve(*db_log).string() + " (db variable event)";
    db = uefi::db_from_log(f, "db_log", ctx.resolve(*db_log).string());
  } else if (db_file) {
    auto in = uefi::open_artifact(f, "db", *db_file, ctx);
    db_name = in->path();
    db.assign(in->bytes().begin(), in->bytes().end());
  }
  const auto db_entries =
      f.reading(db_log ? "db_log" : "db", [&] { return parse_signature_lists(db, db_name); });
  const std::string mok_name = shim->path() + " (MokListRT)";
  const auto mok_entries = parse_signature_lists(mok_list, mok_name);
  std::vector<std::vector<uint8_t>> logged;  // shim logs each authority once
  // Each image mapped and parsed once; its Authenticode digests serve both databases and PCR 4.
  struct Image {
    std::unique_ptr<MappedFile> file;
    uefi::SignedImage signed_image;
  };
  auto open_image = [&](const std::string& path, const std::string& key) {
    auto in = uefi::open_artifact(f, key, path, ctx);
    uefi::SignedImage img =
        f.reading(key, [&] { return uefi::SignedImage(in->bytes(), in->path()); });
    return Image{std::move(in), std::move(img)};
  };
  auto authority = [&](Image& image, const std::string& path, const std::string& key) {
    auto admits = [&](const std::vector<EfiSignature>& entries, const std::string& name) {
      return f.reading(
          key, [&] { return uefi::admitting_entry(image.signed_image, entries, name, true); });
    };
    const EfiSignature* e = admits(db_entries, db_name);
    const bool from_db = e != nullptr;
    if (!e) e = admits(mok_entries, mok_name);
    if (!e)
      f.fail(key, fmt::format("neither db nor shim's MokListRT admits {}: shim would refuse it",
                              image.file->path()));
    auto data = uefi::variable_data(from_db ? uefi::kImageSecurityGuid : uefi::kShimLockGuid,
                                    from_db ? "db" : "MokListRT", e->signature_data());
    if (std::find(logged.begin(), logged.end(), data) != logged.end()) return;
    logged.push_back(data);
    Event a = uefi::data_event(7, ev::kEfiVariableAuthority, std::move(data), ctx.banks);
    a.description =
        fmt::format("{} entry @ {:#x} admitted {}", from_db ? "db" : "MokListRT", e->offset, path);
    a.provenance = {image.file->path(), "shim/authority", std::nullopt};
    out.push_back(std::move(a));
  };
  for (const auto& path : images) {
    Image image = open_image(path, "images");
    authority(image, path, "images");
    Event e;
    e.pcr = 4;
    e.type = ev::kEfiBootServicesApplication;
    e.digests = image.signed_image.digests(ctx.banks);
    e.description = fmt::format("shim starts {}", path);
    e.provenance = {image.file->path(), "shim/authenticode", std::nullopt};
    out.push_back(std::move(e));
  }
  for (const auto& path : later) {
    Image image = open_image(path, "shim_lock");
    authority(image, path, "shim_lock");
  }
  return out;
}

}  // namespace integral
