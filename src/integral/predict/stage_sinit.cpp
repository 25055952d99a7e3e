// Stage "sinit": the Intel TXT SINIT ACM's measurements (PCR 17 with legacy mapping; PCR 17 and
// 18 with DA). What only the platform knows (its BIOS ACM, SCRTM status, LCP, STM, NV, CBnT
// events, the ACM's own hash) comes from a profile made from a reference launch on the same
// platform (`integral txt profile`); the MLE hash is recomputed from the tboot artifact, since a
// new tboot build or command line changes it.
//
//   [[stage]]
//   type = "sinit"
//   profile = "platform.toml"
//   mle = "tboot.gz"                 # or "digest:sha1=HEX,sha256=HEX"
//   cmdline = "logging=serial"       # tboot's command line as the loader passes it
//   tboot_version = "1.10.5"         # optional, default the profile's: before 1.9.4 tboot
//                                    # dropped the first word; its caps are measured (DA)
#include <fmt/format.h>

#include <algorithm>

#include "integral/formats/tboot_mle.h"
#include "integral/predict/stage.h"
#include "integral/predict/tboot_rules.h"
#include "integral/predict/txt_artifact.h"
#include "integral/predict/txt_profile.h"
#include "integral/util/byte_reader.h"
#include "integral/util/bytes.h"
#include "integral/util/error.h"

namespace integral {

std::vector<Event> run_sinit_stage(StageFields& f, const StageContext& ctx, TxtLaunchState& txt) {
  const std::string profile_name = f.required_string("profile");
  auto mle_spec = f.string("mle");
  const std::string loader_cmdline = f.string("cmdline").value_or("");
  auto version_text = f.string("tboot_version");
  f.finish();
  if (txt.sinit_seen) f.fail("", "a boot has one dynamic launch: a second sinit stage");

  const auto profile_path = ctx.resolve(profile_name);
  const TxtProfile prof = f.reading(
      "profile", [&] { return load_profile(profile_path); },
      StageFields::Blame::kInputOrEnvironment);
  for (HashAlg b : ctx.banks)
    if (std::find(prof.banks.begin(), prof.banks.end(), b) == prof.banks.end())
      f.fail("profile", fmt::format("{} has no {} bank: SINIT's events in it are unknown",
                                    profile_path.string(), hash_alg_name(b)));

  // tboot copies its command line into the MLE before SENTER; up to 1.9.3 without the first word.
  std::string cmdline = loader_cmdline;
  std::optional<TbootVersion> version;
  if (version_text) {
    version = TbootVersion::parse(*version_text);
    if (!version) f.fail("tboot_version", fmt::format("'{}' is not a version", *version_text));
    if (*version < TbootVersion{1, 9, 4}) cmdline = TbootMle::skip_filename(cmdline);
  }
  // The tboot whose OsSinitData.Capabilities SINIT measures: the one given, else the reference's.
  const auto reference_version = TbootVersion::parse(prof.tboot_version);
  const auto caps_version = version ? version : reference_version;

  std::optional<TxtArtifact> mle;
  if (mle_spec) mle = parse_txt_artifact(*mle_spec, f, "mle", ctx);

  std::vector<Event> out;
  for (const auto& pe : prof.events) {
    if (pe.role == "tboot") continue;  // the tboot stage recomputes these
    std::vector<HashAlg> banks;
    for (const auto& d : pe.digests)
      if (std::find(ctx.banks.begin(), ctx.banks.end(), d.alg()) != ctx.banks.end())
        banks.push_back(d.alg());
    if (banks.empty()) continue;
    auto name = txt_event_type_name(pe.type);
    Event e;
    e.pcr = pe.pcr;
    e.type = pe.type;
    e.data = pe.data;
    e.sets = pe.sets;
    if (pe.role == "mle") {
      if (!mle) f.fail("", "needs 'mle' (the tboot file or its digests): SINIT measures the MLE");
      e.digests = txt_mle_digests(*mle, cmdline, banks, f, "mle");
      e.description = fmt::format("SINIT MLE_HASH of tboot (command line \"{}\")", cmdline);
      e.provenance.artifact =
          mle->kind == TxtArtifact::Kind::kFile ? mle->path.string() : mle->text;
      e.provenance.rule = "sinit/mle-hash";
    } else if (pe.type == ev::kTxtOsSinitDataCapHash && pe.data.size() == 4 && caps_version &&
               reference_version) {
      // Recomputed: the capabilities carry tboot's own version bit (cbnt_supported).
      const uint32_t ref_caps = ByteReader(pe.data, profile_path.string()).u32(0, "capabilities");
      const uint32_t caps = os_sinit_caps_for(ref_caps, *caps_version);
      std::string le;
      append_le32(le, caps);
      e.data.assign(le.begin(), le.end());
      for (HashAlg b : banks) e.digests.push_back(hash(b, e.data));
      e.description = fmt::format(
          "SINIT OSSINITDATA_CAP_HASH (OsSinitData.Capabilities {:#x} for tboot {}; the "
          "reference's tboot {} wrote {:#x})",
          caps, caps_version->to_string(), reference_version->to_string(), ref_caps);
      e.provenance.artifact = profile_path.string();
      e.provenance.rule = "sinit/os-sinit-caps";
    } else {
      for (const auto& d : pe.digests)
        if (std::find(banks.begin(), banks.end(), d.alg()) != banks.end()) e.digests.push_back(d);
      e.description =
          fmt::format("SINIT {}", name.empty() ? fmt::format("{:#x}", pe.type) : std::string(name));
      if (pe.sets)
        e.description += fmt::format(" (sets PCR {}: the SinitHash the profile recorded)", pe.pcr);
      e.provenance.artifact = profile_path.string();
      e.provenance.rule = pe.line ? fmt::format("sinit/from profile (reference line {})", pe.line)
                                  : std::string("sinit/from profile");
    }
    out.push_back(std::move(e));
  }
  txt.dynamic_launch = true;
  txt.sinit_seen = true;
  txt.tpm = prof.tpm;
  txt.mapping = prof.mapping;
  txt.cmdline = loader_cmdline;
  txt.profile = profile_path.string();
  txt.sinit_tboot_version = caps_version ? caps_version->to_string() : "";
  return out;
}

}  // namespace integral
