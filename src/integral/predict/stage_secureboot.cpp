// Stage "secureboot": UEFI firmware measures the Secure Boot policy into PCR 7 before anything
// runs: one EV_EFI_VARIABLE_DRIVER_CONFIG each for SecureBoot, PK, KEK, db and dbx (digest =
// H(UEFI_VARIABLE_DATA): VariableName GUID, UINT64 name length in characters, UINT64 data
// length, the UTF-16 name without NUL, the data), then EV_SEPARATOR. With Secure Boot off no
// authority events follow; with it on, they would, and that is not modelled yet.
//   secure_boot = false
//   secure_boot_variable = true    false: the firmware has no SecureBoot variable at all (OVMF
//                                  builds without Secure Boot) and measures it with no data
//   pk = "PK.esl", kek = ..., db = ..., dbx = ...   variable contents (EFI_SIGNATURE_LISTs);
//                                                   absent = empty (no keys enrolled)
#include <fmt/format.h>

#include <array>

#include "integral/formats/mapped_input.h"
#include "integral/predict/stage.h"
#include "integral/predict/uefi_events.h"
#include "integral/util/error.h"

namespace integral {

namespace {

using Guid = std::array<uint8_t, 16>;
// EFI_GLOBAL_VARIABLE 8be4df61-93ca-11d2-aa0d-00e098032b8c, in its on-disk byte order.
constexpr Guid kGlobal = {0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
                          0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c};
// EFI_IMAGE_SECURITY_DATABASE_GUID d719b2cb-3d3a-4596-a3bc-dad00e67656f.
constexpr Guid kImageSecurity = {0xcb, 0xb2, 0x19, 0xd7, 0x3a, 0x3d, 0x96, 0x45,
                                 0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f};

std::vector<uint8_t> variable_data(const Guid& guid, std::string_view name,
                                   std::span<const uint8_t> data) {
  std::vector<uint8_t> d(guid.begin(), guid.end());
  uefi::put_le(d, name.size(), 8);
  uefi::put_le(d, data.size(), 8);
  auto n = uefi::utf16le(name, false);
  d.insert(d.end(), n.begin(), n.end());
  d.insert(d.end(), data.begin(), data.end());
  return d;
}

}  // namespace

std::vector<Event> run_secureboot_stage(StageFields& f, const StageContext& ctx) {
  bool on = f.boolean("secure_boot").value_or(false);
  bool present = f.boolean("secure_boot_variable").value_or(true);
  struct Var {
    std::string_view key, name;
    const Guid* guid;
  };
  const Var vars[] = {{"pk", "PK", &kGlobal},
                      {"kek", "KEK", &kGlobal},
                      {"db", "db", &kImageSecurity},
                      {"dbx", "dbx", &kImageSecurity}};
  std::vector<std::optional<std::string>> paths;
  for (const auto& v : vars) paths.push_back(f.string(v.key));
  f.finish();
  if (on) f.fail("secure_boot", "true is not modelled yet (authority events follow the separator)");

  std::vector<Event> out;
  auto add = [&](const Guid& guid, std::string_view name, std::span<const uint8_t> data,
                 const std::string& artifact) {
    Event e = uefi::data_event(7, uefi::kEvEfiVariableDriverConfig, variable_data(guid, name, data),
                               ctx.banks);
    e.description = fmt::format("Secure Boot variable {} ({} bytes)", name, data.size());
    e.provenance = {artifact, "secureboot/variable", std::nullopt};
    out.push_back(std::move(e));
  };
  const uint8_t off[] = {0};
  add(kGlobal, "SecureBoot", present ? std::span<const uint8_t>(off) : std::span<const uint8_t>(),
      f.file());
  for (size_t i = 0; i < std::size(vars); ++i) {
    if (paths[i]) {
      auto in = uefi::open_artifact(f, vars[i].key, *paths[i], ctx);
      add(*vars[i].guid, vars[i].name, in->bytes(), in->path());
    } else {
      add(*vars[i].guid, vars[i].name, {}, f.file());
    }
  }
  out.push_back(uefi::separator_event(7, ctx.banks));
  return out;
}

}  // namespace integral
