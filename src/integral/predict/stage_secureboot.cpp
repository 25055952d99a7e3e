// Stage "secureboot": UEFI firmware measures the Secure Boot policy into PCR 7 before anything
// runs: one EV_EFI_VARIABLE_DRIVER_CONFIG each for SecureBoot, PK, KEK, db and dbx (digest =
// H(UEFI_VARIABLE_DATA): VariableName GUID, UINT64 name length in characters, UINT64 data
// length, the UTF-16 name without NUL, the data), then EV_SEPARATOR. With Secure Boot on, each
// image the firmware verifies adds, after the separator, one EV_EFI_VARIABLE_AUTHORITY for the db
// entry that verified it (UEFI_VARIABLE_DATA named "db" whose data is that EFI_SIGNATURE_DATA:
// owner GUID + certificate), once per distinct entry (EDK2's DxeImageVerificationLib).
//   secure_boot = false
//   secure_boot_variable = true    false: the firmware has no SecureBoot variable at all (OVMF
//                                  builds without Secure Boot) and measures it with no data
//   pk = "PK.esl", kek = ..., db = ..., dbx = ...   variable contents (EFI_SIGNATURE_LISTs);
//                                                   absent = empty (no keys enrolled)
//   policy = true                  false: leave out the variables and the separator (a profile
//                                  stage copies them from the platform's reference log)
//   db_log = "reference.bin"       instead of db: the db contents as the firmware measured them
//                                  (PCR 7's db variable event in a reference event log)
//   authorities = ["uki.efi"]      secure_boot = true: the signed images the firmware verifies,
//                                  in load order; the first db X.509 certificate (db order) that
//                                  verifies an image's signature is its authority, else a db
//                                  SHA-256 entry equal to its Authenticode digest; an image no
//                                  entry admits fails the prediction (the firmware would refuse
//                                  it). dbx is not consulted.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "integral/chain/event_type.h"
#include "integral/eventlog/event_data_text.h"
#include "integral/eventlog/event_log.h"
#include "integral/formats/efi_signature_list.h"
#include "integral/formats/pe.h"
#include "integral/formats/pe_signature.h"
#include "integral/predict/stage.h"
#include "integral/predict/uefi_authority.h"
#include "integral/predict/uefi_events.h"
#include "integral/util/bytes.h"
#include "integral/util/error.h"
#include "integral/util/mapped_file.h"

namespace integral {

namespace {

using Guid = EfiGuid;
constexpr const EfiGuid& kGlobal = uefi::kGlobalGuid;
constexpr const EfiGuid& kImageSecurity = uefi::kImageSecurityGuid;
using uefi::variable_data;

struct Var {
  std::string_view key, name;
  const Guid* guid;
};
// The policy variables after SecureBoot, in the order the firmware measures them.
constexpr Var kVars[] = {{"pk", "PK", &kGlobal},
                         {"kek", "KEK", &kGlobal},
                         {"db", "db", &kImageSecurity},
                         {"dbx", "dbx", &kImageSecurity}};
constexpr size_t kDb = 2;  // kVars index of db

struct SecureBootFields {
  bool on = false;      // secure_boot
  bool present = true;  // secure_boot_variable
  bool policy = true;   // measure the variables and the separator
  std::optional<std::string> db_log;
  std::vector<std::string> images;                // authorities
  std::vector<std::optional<std::string>> paths;  // kVars' files
};

SecureBootFields read_fields(StageFields& f) {
  SecureBootFields s;
  s.on = f.boolean("secure_boot").value_or(false);
  s.present = f.boolean("secure_boot_variable").value_or(true);
  s.policy = f.boolean("policy").value_or(true);
  s.db_log = f.string("db_log");
  s.images = f.strings("authorities").value_or(std::vector<std::string>{});
  for (const auto& v : kVars) s.paths.push_back(f.string(v.key));
  f.finish();
  if (!s.images.empty() && !s.on) f.fail("authorities", "needs secure_boot = true");
  if (s.db_log && s.paths[kDb]) f.fail("db_log", "give 'db' or 'db_log', not both");
  if (!s.policy && !s.on) f.fail("policy", "false leaves nothing to predict with Secure Boot off");
  if (!s.policy)
    for (size_t i = 0; i < std::size(kVars); ++i)
      if (s.paths[i] && i != kDb) f.fail(kVars[i].key, "is only measured with policy = true");
  return s;
}

// The EV_EFI_VARIABLE_DRIVER_CONFIG events of SecureBoot and kVars, then the separator.
std::vector<Event> policy_events(StageFields& f, const StageContext& ctx,
                                 const SecureBootFields& s) {
  std::vector<Event> out;
  auto add = [&](const Guid& guid, std::string_view name, std::span<const uint8_t> data,
                 const std::string& artifact) {
    Event e = uefi::data_event(7, ev::kEfiVariableDriverConfig, variable_data(guid, name, data),
                               ctx.banks);
    e.description = fmt::format("Secure Boot variable {} ({} bytes)", name, data.size());
    e.provenance = {artifact, "secureboot/variable", std::nullopt};
    out.push_back(std::move(e));
  };
  const uint8_t state[] = {static_cast<uint8_t>(s.on ? 1 : 0)};
  add(kGlobal, "SecureBoot",
      s.present ? std::span<const uint8_t>(state) : std::span<const uint8_t>(), f.file());
  for (size_t i = 0; i < std::size(kVars); ++i) {
    if (i == kDb && s.db_log) {
      add(kImageSecurity, "db", uefi::db_from_log(f, "db_log", ctx.resolve(*s.db_log).string()),
          ctx.resolve(*s.db_log).string());
    } else if (s.paths[i]) {
      auto in = uefi::open_artifact(f, kVars[i].key, *s.paths[i], ctx);
      add(*kVars[i].guid, kVars[i].name, in->bytes(), in->path());
    } else {
      add(*kVars[i].guid, kVars[i].name, {}, f.file());
    }
  }
  out.push_back(uefi::separator_event(7, ctx.banks));
  return out;
}

// The db the firmware checks images against, and its name for messages.
struct CheckedDb {
  std::vector<uint8_t> bytes;
  std::string name;
};

CheckedDb checked_db(StageFields& f, const StageContext& ctx, const SecureBootFields& s) {
  CheckedDb db;
  if (s.db_log) {
    db.name = ctx.resolve(*s.db_log).string() + " (db variable event)";
    db.bytes = uefi::db_from_log(f, "db_log", ctx.resolve(*s.db_log).string());
  } else if (s.paths[kDb]) {
    auto in = uefi::open_artifact(f, "db", *s.paths[kDb], ctx);
    db.name = in->path();
    db.bytes.assign(in->bytes().begin(), in->bytes().end());
  } else {
    f.fail("authorities", "needs the db: 'db' or 'db_log'");
  }
  return db;
}

// One EV_EFI_VARIABLE_AUTHORITY per distinct db entry that admits one of the images.
std::vector<Event> authority_events(StageFields& f, const StageContext& ctx,
                                    const SecureBootFields& s) {
  const CheckedDb db = checked_db(f, ctx, s);
  const std::string& db_name = db.name;
  const std::vector<EfiSignature> entries = f.reading(
      s.db_log ? "db_log" : "db", [&] { return parse_signature_lists(db.bytes, db_name); });
  std::vector<Event> out;
  std::vector<std::vector<uint8_t>> measured;
  for (const auto& image : s.images) {
    auto in = uefi::open_artifact(f, "authorities", image, ctx);
    const EfiSignature* authority = f.reading("authorities", [&] {
      uefi::SignedImage img(in->bytes(), in->path());
      return uefi::admitting_entry(img, entries, db_name);
    });
    if (!authority)
      f.fail("authorities", fmt::format("no db entry of {} admits {}: the firmware would refuse "
                                        "to start it",
                                        db_name, in->path()));
    auto sd = authority->signature_data();
    if (std::find(measured.begin(), measured.end(), sd) != measured.end()) continue;
    measured.push_back(sd);
    Event e = uefi::data_event(7, ev::kEfiVariableAuthority,
                               variable_data(kImageSecurity, "db", sd), ctx.banks);
    e.description =
        fmt::format("db entry @ {:#x} ({} bytes) admitted {}", authority->offset, sd.size(), image);
    e.provenance = {in->path(), "secureboot/authority", std::nullopt};
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::vector<Event> run_secureboot_stage(StageFields& f, const StageContext& ctx) {
  const SecureBootFields s = read_fields(f);
  std::vector<Event> out;
  if (s.policy) out = policy_events(f, ctx, s);
  if (s.images.empty()) return out;
  auto authorities = authority_events(f, ctx, s);
  out.insert(out.end(), std::make_move_iterator(authorities.begin()),
             std::make_move_iterator(authorities.end()));
  return out;
}

}  // namespace integral
