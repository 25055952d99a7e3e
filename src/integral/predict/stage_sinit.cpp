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

namespace {

// What the profile's events are recomputed with.
struct SinitInputs {
  std::string profile;  // its path, for messages and provenance
  std::string cmdline;  // as tboot copies it into the MLE
  std::optional<TxtArtifact> mle;
  std::optional<TbootVersion> reference_version;  // the reference launch's tboot
  std::optional<TbootVersion> caps_version;       // the tboot whose capabilities SINIT measures
};

// MLE_HASH, recomputed from the tboot MLE and command line.
void set_mle_hash(Event& e, StageFields& f, const SinitInputs& in,
                  const std::vector<HashAlg>& banks) {
  if (!in.mle) f.fail("", "needs 'mle' (the tboot file or its digests): SINIT measures the MLE");
  e.digests = txt_mle_digests(*in.mle, in.cmdline, banks, f, "mle");
  e.description = fmt::format("SINIT MLE_HASH of tboot (command line \"{}\")", in.cmdline);
  e.provenance.artifact =
      in.mle->kind == TxtArtifact::Kind::kFile ? in.mle->path.string() : in.mle->text;
  e.provenance.rule = "sinit/mle-hash";
}

// OSSINITDATA_CAP_HASH, recomputed: the capabilities carry tboot's own version bit
// (cbnt_supported).
void set_os_sinit_caps(Event& e, const ProfileEvent& pe, const SinitInputs& in,
                       const std::vector<HashAlg>& banks) {
  const uint32_t ref_caps = ByteReader(pe.data, in.profile).u32(0, "capabilities");
  const uint32_t caps = os_sinit_caps_for(ref_caps, *in.caps_version);
  std::string le;
  append_le32(le, caps);
  e.data.assign(le.begin(), le.end());
  for (HashAlg b : banks) e.digests.push_back(hash(b, e.data));
  e.description = fmt::format(
      "SINIT OSSINITDATA_CAP_HASH (OsSinitData.Capabilities {:#x} for tboot {}; the "
      "reference's tboot {} wrote {:#x})",
      caps, in.caps_version->to_string(), in.reference_version->to_string(), ref_caps);
  e.provenance.artifact = in.profile;
  e.provenance.rule = "sinit/os-sinit-caps";
}

// A platform event, as the profile recorded it.
void set_from_profile(Event& e, const ProfileEvent& pe, const SinitInputs& in,
                      const std::vector<HashAlg>& banks) {
  auto name = txt_event_type_name(pe.type);
  for (const auto& d : pe.digests)
    if (std::find(banks.begin(), banks.end(), d.alg()) != banks.end()) e.digests.push_back(d);
  e.description =
      fmt::format("SINIT {}", name.empty() ? fmt::format("{:#x}", pe.type) : std::string(name));
  if (pe.sets)
    e.description += fmt::format(" (sets PCR {}: the SinitHash the profile recorded)", pe.pcr);
  e.provenance.artifact = in.profile;
  e.provenance.rule = pe.line ? fmt::format("sinit/from profile (reference line {})", pe.line)
                              : std::string("sinit/from profile");
}

std::vector<Event> sinit_events(StageFields& f, const StageContext& ctx, const TxtProfile& prof,
                                const SinitInputs& in) {
  std::vector<Event> out;
  for (const auto& pe : prof.events) {
    if (pe.role == "tboot") continue;  // the tboot stage recomputes these
    std::vector<HashAlg> banks;
    for (const auto& d : pe.digests)
      if (std::find(ctx.banks.begin(), ctx.banks.end(), d.alg()) != ctx.banks.end())
        banks.push_back(d.alg());
    if (banks.empty()) continue;
    Event e;
    e.pcr = pe.pcr;
    e.type = pe.type;
    e.data = pe.data;
    e.sets = pe.sets;
    if (pe.role == "mle")
      set_mle_hash(e, f, in, banks);
    else if (pe.type == ev::kTxtOsSinitDataCapHash && pe.data.size() == 4 && in.caps_version &&
             in.reference_version)
      set_os_sinit_caps(e, pe, in, banks);
    else
      set_from_profile(e, pe, in, banks);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

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

  SinitInputs in;
  in.profile = profile_path.string();
  // tboot copies its command line into the MLE before SENTER; up to 1.9.3 without the first word.
  in.cmdline = loader_cmdline;
  std::optional<TbootVersion> version;
  if (version_text) {
    version = TbootVersion::parse(*version_text);
    if (!version) f.fail("tboot_version", fmt::format("'{}' is not a version", *version_text));
    if (*version < TbootVersion{1, 9, 4}) in.cmdline = TbootMle::skip_filename(in.cmdline);
  }
  // The tboot whose OsSinitData.Capabilities SINIT measures: the one given, else the reference's.
  in.reference_version = TbootVersion::parse(prof.tboot_version);
  in.caps_version = version ? version : in.reference_version;
  if (mle_spec) in.mle = parse_txt_artifact(*mle_spec, f, "mle", ctx);

  std::vector<Event> out = sinit_events(f, ctx, prof, in);
  txt.dynamic_launch = true;
  txt.sinit_seen = true;
  txt.tpm = prof.tpm;
  txt.mapping = prof.mapping;
  txt.cmdline = loader_cmdline;
  txt.profile = in.profile;
  txt.sinit_tboot_version = in.caps_version ? in.caps_version->to_string() : "";
  return out;
}

}  // namespace integral
