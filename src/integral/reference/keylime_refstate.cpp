#include "integral/reference/keylime_refstate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "integral/chain/event_type.h"
#include "integral/eventlog/event_data_text.h"
#include "integral/formats/efi_signature_list.h"
#include "integral/util/error.h"
#include "integral/util/hex.h"
#include "integral/util/json_io.h"

namespace integral {

namespace {

using Json = nlohmann::ordered_json;

std::string text_of(const Event& e) {
  std::string s(e.data.begin(), e.data.end());
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

// keylime's form of a SHA-256 digest, "0x" + hex; and of an event's, {"sha256": ...}.
std::string hex256(const Event& e) {
  return "0x" + to_hex(e.digest(HashAlg::kSha256)->bytes());
}
Json sha256_of(const Event& e) {
  return Json{{"sha256", hex256(e)}};
}

// Python's re.escape (3.7 and later): these characters get a backslash.
std::string re_escape(std::string_view s) {
  static constexpr std::string_view kSpecial = "()[]{}?*+-|^$\\.&~# \t\n\r\v\f";
  std::string out;
  for (char c : s) {
    if (kSpecial.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

Json signatures(std::span<const uint8_t> esl, const std::string& what) {
  Json out = Json::array();
  for (const auto& s : parse_signature_lists(esl, what))
    out.push_back(
        {{"SignatureOwner", format_guid(s.owner)}, {"SignatureData", "0x" + to_hex(s.data)}});
  return out;
}

}  // namespace

std::string keylime_mb_refstate(const Prediction& p) {
  const auto& events = p.chain.events;
  if (std::find(p.banks.begin(), p.banks.end(), HashAlg::kSha256) == p.banks.end())
    throw_bad_input("keylime's reference state holds SHA-256 digests: the boot has no sha256 bank",
                    p.source);
  auto is = [](const Event& e, uint32_t type) { return e.type && *e.type == type; };

  bool secure_boot = false;
  Json scrtm = Json::object();
  Json firmware = Json::array();
  Json keys = {
      {"pk", Json::array()}, {"kek", Json::array()}, {"db", Json::array()}, {"dbx", Json::array()}};
  Json vendor_db = Json::array();
  Json mok = Json::array(), mokx = Json::array();
  std::vector<const Event*> apps;
  for (const Event& e : events) {
    if (!e.digest(HashAlg::kSha256)) continue;
    if (is(e, ev::kSCrtmVersion) && scrtm.empty()) scrtm = sha256_of(e);
    if (is(e, ev::kEfiPlatformFirmwareBlob) || is(e, ev::kEfiPlatformFirmwareBlob2))
      firmware.push_back(sha256_of(e));
    if (is(e, ev::kEfiVariableDriverConfig) || is(e, ev::kEfiVariableAuthority)) {
      auto v = parse_uefi_variable(e.data);
      if (!v) continue;
      std::string name = v->name;
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      const std::string what = fmt::format("{} ({} event of PCR {})", p.source, v->name, e.pcr);
      if (is(e, ev::kEfiVariableDriverConfig)) {
        if (v->name == "SecureBoot") secure_boot = !v->data.empty() && v->data[0] == 1;
        if (keys.contains(name)) keys[name] = signatures(v->data, what);
      } else if (name == "vendor_db") {
        for (auto& s : signatures(v->data, what)) vendor_db.push_back(s);
      }
    }
    if (is(e, ev::kIpl)) {
      const std::string t = text_of(e);
      if (t == "MokList") mok.push_back(sha256_of(e));
      if (t == "MokListX") mokx.push_back(sha256_of(e));
    }
    if (is(e, ev::kEfiBootServicesApplication)) apps.push_back(&e);
  }

  Json kernel = Json::object();
  const size_t want = secure_boot ? 3 : 2;
  if (apps.size() != want && !(secure_boot && apps.size() == 4))
    throw_bad_input(fmt::format("keylime's measured-boot policy expects PCR 4 to hold shim, GRUB{} "
                                "({}{} applications); this boot has {}",
                                secure_boot ? " and the kernel" : "", want,
                                secure_boot ? " or 4" : "", apps.size()),
                    p.source);
  if (secure_boot) kernel["kernel_authcode_sha256"] = hex256(*apps[2]);
  kernel["shim_authcode_sha256"] = hex256(*apps[0]);
  kernel["grub_authcode_sha256"] = hex256(*apps[1]);
  auto first_ipl = [&](unsigned pcr, auto&& match) -> const Event* {
    for (const Event& e : events)
      if (is(e, ev::kIpl) && e.pcr == pcr && e.digest(HashAlg::kSha256) && match(text_of(e)))
        return &e;
    return nullptr;
  };
  auto contains = [](std::string_view w) {
    return [w](const std::string& t) { return t.find(w) != std::string::npos; };
  };
  if (const Event* e = first_ipl(9, [](const std::string& t) {
        return t.find("initrd") != std::string::npos || t.find("initramfs") != std::string::npos;
      }))
    kernel["initrd_plain_sha256"] = hex256(*e);
  if (!secure_boot)
    if (const Event* e = first_ipl(9, contains("vmlinuz")))
      kernel["vmlinuz_plain_sha256"] = hex256(*e);
  if (const Event* e = first_ipl(8, contains("kernel_cmdline"))) {
    const std::string t = text_of(*e);
    constexpr std::string_view kPrefix = "kernel_cmdline: ";
    kernel["kernel_cmdline"] = re_escape(t.size() > kPrefix.size() ? t.substr(kPrefix.size()) : "");
  }

  Json out;
  out["has_secureboot"] = secure_boot;
  Json bios = scrtm.empty() ? Json::object() : Json{{"scrtm", scrtm}};
  bios["platform_firmware"] = firmware;
  out["scrtm_and_bios"] = Json::array({bios});
  for (auto& [k, v] : keys.items()) out[k] = v;
  out["vendor_db"] = vendor_db;
  out["mokdig"] = mok;
  out["mokxdig"] = mokx;
  out["kernels"] = Json::array({kernel});
  return python_json_dumps(out);
}

}  // namespace integral
