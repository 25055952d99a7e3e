// Stage "tboot": tboot's own measurements after the launch (event type 0x501), by the rules of
// the tboot version: the verified-launch policy into PCR 17 (and 18 with DA), module 0 into
// PCR 18 (legacy) or 17 (DA), then each module where the policy sends it (default policies:
// PCR 19 legacy, 17 DA), and with measure_nv on TPM 1.2 the NV index into PCR 22. On TPM 2.0
// only the banks of tboot's extend policy (extpol) get these events.
//
//   [[stage]]
//   type = "tboot"
//   version = "1.10.5"
//   cmdline = "logging=serial"      # default: the sinit stage's
//   tpm = "2.0"                     # default: the sinit stage's profile
//   mapping = "auto"                # legacy | da | auto (tboot's rule; TPM 1.2 needs sinit_caps)
//   sinit_caps = 0x...              # the SINIT ACM's capabilities, for mapping = "auto"
//   extpol = "sha256"               # default: the command line's extpol=, else sha256
//   policy = "tb.pol"               # a tb_polgen policy; default: the version's own
//   modules = ["vmlinuz", "initrd.img"]          # files, or digest:/image-digest: specs
//   module_cmdlines = ["root=/dev/sda1 ro", ""]   # the loader's module strings
//   mle = "tboot.gz"                # only without a sinit stage: emit SINIT's MLE_HASH here
//   nv = ["0x40000010=HEX"]         # NV contents for measure_nv=true
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "integral/chain/event_type.h"
#include "integral/formats/tb_policy.h"
#include "integral/formats/tboot_mle.h"
#include "integral/predict/stage.h"
#include "integral/predict/tboot_rules.h"
#include "integral/predict/txt_artifact.h"
#include "integral/util/error.h"
#include "integral/util/number.h"

namespace integral {

namespace {

std::string shorten(const std::string& s) {
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

struct TbootKeys {
  std::string version;
  std::optional<std::string> tpm, mapping;
  std::optional<int64_t> sinit_caps;
  std::optional<std::string> extpol, cmdline, mle, policy;
  std::vector<std::string> modules;
  std::optional<std::vector<std::string>> module_cmdlines;
  std::vector<std::string> nv;
};

TbootKeys read_keys(StageFields& f) {
  TbootKeys k;
  k.version = f.required_string("version");
  k.tpm = f.string("tpm");
  k.mapping = f.string("mapping");
  k.sinit_caps = f.integer("sinit_caps");
  k.extpol = f.string("extpol");
  k.cmdline = f.string("cmdline");
  k.mle = f.string("mle");
  k.policy = f.string("policy");
  k.modules = f.strings("modules").value_or(std::vector<std::string>{});
  k.module_cmdlines = f.strings("module_cmdlines");
  k.nv = f.strings("nv").value_or(std::vector<std::string>{});
  f.finish();
  return k;
}

// The launch tboot's events follow: its version, TPM family, command line and PCR mapping.
struct TbootLaunch {
  TbootVersion version;
  TpmFamily tpm = TpmFamily::k20;
  std::string cmdline;
  PcrMapping mapping = PcrMapping::kLegacy;
  std::string mapping_why;  // how the mapping was chosen, for the policy event's description
  std::string rule_base;    // "tboot-<version>/<tpm>/<mapping>": the provenance rules' prefix
  bool da() const { return mapping == PcrMapping::kDa; }
};

TbootVersion resolve_version(StageFields& f, const std::string& version_text,
                             const TxtLaunchState& txt) {
  auto version = TbootVersion::parse(version_text);
  if (!version) f.fail("version", fmt::format("'{}' is not a tboot version", version_text));
  // SINIT's events depend on tboot's version in two ways (the command-line rule of 1.9.4, the
  // cbnt_supported capability of 1.10.1): the sinit stage must have assumed a compatible one.
  if (auto assumed = TbootVersion::parse(txt.sinit_tboot_version)) {
    auto side = [](const TbootVersion& v) {
      return std::pair{v >= TbootVersion{1, 9, 4}, v >= TbootVersion{1, 10, 1}};
    };
    if (side(*assumed) != side(*version))
      f.fail("version",
             fmt::format("tboot {} but the sinit stage measured for tboot {} (its tboot_version, "
                         "else the profile's): set tboot_version = \"{}\" in the sinit stage",
                         version_text, assumed->to_string(), version_text));
  }
  return *version;
}

// TPM family and command line: the sinit stage's unless given; both given must agree.
TpmFamily resolve_tpm(StageFields& f, const std::optional<std::string>& tpm_text,
                      const TxtLaunchState& txt) {
  if (!tpm_text && txt.tpm.empty()) f.fail("", "needs 'tpm' (\"1.2\" or \"2.0\")");
  if (tpm_text && !txt.tpm.empty() && *tpm_text != txt.tpm)
    f.fail("tpm",
           fmt::format("'{}' but the profile {} is TPM {}", *tpm_text, txt.profile, txt.tpm));
  auto tpm = parse_tpm_family(tpm_text.value_or(txt.tpm));
  if (!tpm) f.fail("tpm", "must be \"1.2\" or \"2.0\"");
  return *tpm;
}

std::string resolve_cmdline(StageFields& f, const std::optional<std::string>& cmdline_key,
                            const TxtLaunchState& txt) {
  if (cmdline_key && txt.cmdline && *cmdline_key != *txt.cmdline)
    f.fail("cmdline", fmt::format("differs from the sinit stage's (\"{}\"), which the MLE hash "
                                  "used",
                                  *txt.cmdline));
  return cmdline_key.value_or(txt.cmdline.value_or(""));
}

// PCR mapping: the profile's, else as given, else tboot's rule (DA on TPM 2.0; on TPM 1.2 from
// SINIT's capabilities). Sets `l.mapping` and `l.mapping_why`.
void resolve_mapping(StageFields& f, const TbootKeys& k, const TxtLaunchState& txt,
                     TbootLaunch& l) {
  std::string mapping_name = k.mapping.value_or("auto");
  if (mapping_name != "auto" && !parse_pcr_mapping(mapping_name))
    f.fail("mapping", "must be legacy, da or auto");
  if (!txt.mapping.empty()) {
    l.mapping = *parse_pcr_mapping(txt.mapping);
    if (mapping_name != "auto" && mapping_name != txt.mapping)
      f.fail("mapping", fmt::format("'{}' but the profile {} records a {} launch", mapping_name,
                                    txt.profile, txt.mapping));
    l.mapping_why = "as in the profile";
  } else if (mapping_name != "auto") {
    l.mapping = *parse_pcr_mapping(mapping_name);
    l.mapping_why = "as given";
  } else if (l.tpm == TpmFamily::k20) {
    l.mapping = PcrMapping::kDa;
    l.mapping_why = "TPM 2.0";
  } else {
    const auto& caps = k.sinit_caps;
    if (!caps) f.fail("mapping", "auto on TPM 1.2 needs sinit_caps (or a sinit stage's profile)");
    if (*caps < 0 || *caps > 0xffffffff) f.fail("sinit_caps", "is not a 32-bit value");
    try {
      l.mapping = choose_pcr_mapping(l.tpm, l.version, static_cast<uint32_t>(*caps), l.cmdline);
    } catch (const Error& e) {
      f.fail("sinit_caps", e.message());
    }
    l.mapping_why = fmt::format("tboot's rule, SINIT caps {:#x}", *caps);
  }
}

TbootLaunch resolve_launch(StageFields& f, const TbootKeys& k, const TxtLaunchState& txt) {
  TbootLaunch l;
  l.version = resolve_version(f, k.version, txt);
  l.tpm = resolve_tpm(f, k.tpm, txt);
  l.cmdline = resolve_cmdline(f, k.cmdline, txt);
  resolve_mapping(f, k, txt, l);
  l.rule_base = fmt::format("tboot-{}/{}/{}", l.version.to_string(), tpm_family_name(l.tpm),
                            pcr_mapping_name(l.mapping));
  return l;
}

// Extend policy: the banks tboot's events reach.
ExtendPolicy resolve_extend_policy(StageFields& f, const std::optional<std::string>& extpol_key,
                                   const TbootLaunch& l, const StageContext& ctx) {
  auto cmd_extpol = tboot_cmdline_option(l.cmdline, "extpol");
  if (extpol_key && cmd_extpol && *extpol_key != *cmd_extpol)
    f.fail("extpol",
           fmt::format("'{}' but the command line says extpol={}", *extpol_key, *cmd_extpol));
  try {
    return tboot_extend_policy(l.tpm, l.version, extpol_key.value_or(cmd_extpol.value_or("")),
                               ctx.banks);
  } catch (const Error& e) {
    f.fail("extpol", e.message());
  }
}

// The verified-launch policy: the file given, else the version's default.
struct LoadedPolicy {
  TbPolicy policy;
  std::string artifact;
};

LoadedPolicy load_policy(StageFields& f, const std::optional<std::string>& policy_name,
                         const TbootLaunch& l, const StageContext& ctx) {
  LoadedPolicy p;
  if (policy_name) {
    auto path = ctx.resolve(*policy_name);
    p.policy = f.reading(
        "policy", [&] { return TbPolicy::load(path); }, StageFields::Blame::kInputOrEnvironment);
    p.artifact = path.string();
  } else {
    try {
      p.policy = TbPolicy::parse(default_tb_policy(l.version, l.tpm, l.mapping), "default policy");
    } catch (const Error& e) {
      f.fail("version", e.message());
    }
    p.artifact = fmt::format("default policy of tboot {}", l.version.to_string());
  }
  return p;
}

// Without a sinit stage the MLE hash (SINIT's measurement) may come from here.
void add_mle_event(std::vector<Event>& out, StageFields& f, const std::string& mle_spec,
                   const TbootLaunch& l, const StageContext& ctx, const TxtLaunchState& txt) {
  if (txt.sinit_seen) f.fail("mle", "the sinit stage already measured the MLE");
  TxtArtifact mle = parse_txt_artifact(mle_spec, f, "mle", ctx);
  std::string mcmd =
      l.version < TbootVersion{1, 9, 4} ? TbootMle::skip_filename(l.cmdline) : l.cmdline;
  std::vector<HashAlg> banks =
      l.tpm == TpmFamily::k12 ? std::vector<HashAlg>{HashAlg::kSha1} : ctx.banks;
  Event e;
  e.pcr = l.da() ? 17 : 18;
  e.type = ev::kTxtMleHash;
  e.digests = txt_mle_digests(mle, mcmd, banks, f, "mle");
  e.description = fmt::format("SINIT MLE_HASH of tboot (command line \"{}\")", shorten(mcmd));
  e.provenance.artifact = mle.kind == TxtArtifact::Kind::kFile ? mle.path.string() : mle.text;
  e.provenance.rule = l.rule_base + "/mle-hash";
  out.push_back(std::move(e));
}

// 1. The policy (PCR 17; with DA again in PCR 18).
void add_policy_events(std::vector<Event>& out, const LoadedPolicy& p, const ExtendPolicy& ep,
                       const TbootLaunch& l) {
  Event e;
  e.type = ev::kTbootMeasurement;
  for (HashAlg b : ep.banks)
    e.digests.push_back(
        tb_policy_event_digest(p.policy.raw, p.policy.policy_control, ep.cur_alg, b));
  e.description =
      fmt::format("tboot policy (control {:#x}, inner {}; {} mapping: {})", p.policy.policy_control,
                  hash_alg_name(ep.cur_alg), pcr_mapping_name(l.mapping), l.mapping_why);
  e.provenance.artifact = p.artifact;
  e.provenance.rule = l.rule_base + "/policy, extpol " + ep.name;
  e.pcr = 17;
  out.push_back(e);
  if (l.da()) {
    e.pcr = 18;
    out.push_back(e);
  }
}

// One module as tboot measures it: the digests per bank of its command line and image.
struct MeasuredModule {
  std::vector<Digest> digests;
  std::string artifact;
  std::string cmdline;  // the command line as tboot measured it
};

MeasuredModule measure_module(StageFields& f, const std::string& spec, std::string cmdline,
                              const ExtendPolicy& ep, const StageContext& ctx) {
  MeasuredModule m;
  m.cmdline = std::move(cmdline);
  TxtArtifact a = parse_txt_artifact(spec, f, "modules", ctx);
  switch (a.kind) {
    case TxtArtifact::Kind::kFile:
      m.digests = f.reading(
          "modules", a.path, [&] { return tb_module_digests(ep.banks, m.cmdline, a.path); },
          StageFields::Blame::kInputOrEnvironment);
      m.artifact = a.path.string();
      break;
    case TxtArtifact::Kind::kDigest:
      for (HashAlg b : ep.banks) m.digests.push_back(a.need(b, f, "modules"));
      m.artifact = a.text;
      break;
    case TxtArtifact::Kind::kImageDigest:
      for (HashAlg b : ep.banks) {
        const Digest& img = a.need(b, f, "modules");
        Hasher h(b);
        h.update(hash(b, m.cmdline).bytes());
        h.update(img.bytes());
        m.digests.push_back(h.finish());
      }
      m.artifact = a.text;
      break;
  }
  return m;
}

// 2. Modules: module 0 always, then each where the policy sends it.
void add_module_events(std::vector<Event>& out, StageFields& f, const TbootKeys& k,
                       const TbPolicy& policy, const ExtendPolicy& ep, const TbootLaunch& l,
                       const StageContext& ctx) {
  std::vector<MeasuredModule> measured;
  for (size_t i = 0; i < k.modules.size(); ++i)
    measured.push_back(measure_module(
        f, k.modules[i],
        measured_module_cmdline(l.version, k.module_cmdlines ? (*k.module_cmdlines)[i] : ""), ep,
        ctx));
  auto module_event = [&](size_t i, unsigned pcr, const std::string& why) {
    Event e;
    e.pcr = pcr;
    e.type = ev::kTbootMeasurement;
    e.digests = measured[i].digests;
    e.description = fmt::format("tboot module {} \"{}\"", i, shorten(measured[i].cmdline));
    e.provenance.artifact = measured[i].artifact;
    e.provenance.rule = l.rule_base + "/" + why;
    out.push_back(std::move(e));
  };
  if (!measured.empty()) module_event(0, l.da() ? 17 : 18, "module 0");
  for (size_t i = 0; i < measured.size(); ++i) {
    auto pcr = module_policy_pcr(policy, static_cast<unsigned>(i));
    if (pcr) module_event(i, *pcr, fmt::format("module {} by policy entry", i));
  }
}

// The "nv" key's INDEX=HEX items.
std::map<uint32_t, Bytes> parse_nv_values(StageFields& f, const std::vector<std::string>& nv) {
  std::map<uint32_t, Bytes> nv_values;
  for (const auto& item : nv) {
    size_t eq = item.find('=');
    auto idx = eq == std::string::npos ? std::nullopt : parse_uint(item.substr(0, eq));
    auto data = eq == std::string::npos ? std::nullopt : from_hex(item.substr(eq + 1));
    if (!idx || *idx > 0xffffffff || !data)
      f.fail("nv", fmt::format("'{}' is not INDEX=HEX", item));
    nv_values[static_cast<uint32_t>(*idx)] = *data;
  }
  return nv_values;
}

// 3. measure_nv (TPM 1.2 only): NV indices named by the policy.
void add_nv_events(std::vector<Event>& out, StageFields& f, const std::vector<std::string>& nv,
                   const TbPolicy& policy, const TbootLaunch& l) {
  const bool measure_nv = tboot_cmdline_option(l.cmdline, "measure_nv") == "true";
  const std::map<uint32_t, Bytes> nv_values = parse_nv_values(f, nv);
  if (!measure_nv || l.tpm != TpmFamily::k12) {
    if (!nv.empty())
      f.fail("nv", l.tpm == TpmFamily::k12 ? "is read only with measure_nv=true on the command line"
                                           : "tboot measures NV indices on TPM 1.2 only");
    return;
  }
  for (const auto& pe : policy.entries) {
    if (pe.mod_num != kTbPolModNumNvRaw && pe.mod_num != kTbPolModNumNvIndex) continue;
    if (pe.pcr == kTbPolPcrNone) continue;
    auto it = nv_values.find(pe.nv_index);
    if (it == nv_values.end())
      f.fail("nv",
             fmt::format("measure_nv=true: needs the content of NV index {:#x}", pe.nv_index));
    Event e;
    e.pcr = pe.pcr;
    e.type = ev::kTbootMeasurement;
    if (pe.mod_num == kTbPolModNumNvRaw) {
      // The raw 20-byte content is the extend value itself.
      if (it->second.size() != 20)
        f.fail("nv", fmt::format("NV index {:#x} (nv_raw) must hold 20 bytes", pe.nv_index));
      e.digests.emplace_back(HashAlg::kSha1, it->second);
    } else {
      e.digests.push_back(hash(HashAlg::kSha1, it->second));
    }
    e.description = fmt::format("tboot NV index {:#x}", pe.nv_index);
    e.provenance.artifact = "nv";
    e.provenance.rule = l.rule_base + "/measure_nv";
    out.push_back(std::move(e));
  }
}

}  // namespace

std::vector<Event> run_tboot_stage(StageFields& f, const StageContext& ctx, TxtLaunchState& txt) {
  const TbootKeys k = read_keys(f);
  const TbootLaunch launch = resolve_launch(f, k, txt);
  const ExtendPolicy ep = resolve_extend_policy(f, k.extpol, launch, ctx);
  const LoadedPolicy policy = load_policy(f, k.policy, launch, ctx);
  if (k.module_cmdlines && k.module_cmdlines->size() != k.modules.size())
    f.fail("module_cmdlines", fmt::format("has {} entries for {} modules",
                                          k.module_cmdlines->size(), k.modules.size()));

  std::vector<Event> out;
  if (k.mle) add_mle_event(out, f, *k.mle, launch, ctx, txt);
  add_policy_events(out, policy, ep, launch);
  add_module_events(out, f, k, policy.policy, ep, launch, ctx);
  add_nv_events(out, f, k.nv, policy.policy, launch);
  txt.dynamic_launch = true;
  return out;
}

}  // namespace integral
