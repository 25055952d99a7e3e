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

}  // namespace

std::vector<Event> run_tboot_stage(StageFields& f, const StageContext& ctx) {
  const std::string version_text = f.required_string("version");
  auto tpm_text = f.string("tpm");
  auto mapping_text = f.string("mapping");
  auto caps = f.integer("sinit_caps");
  auto extpol_key = f.string("extpol");
  auto cmdline_key = f.string("cmdline");
  auto mle_spec = f.string("mle");
  auto policy_name = f.string("policy");
  auto modules = f.strings("modules").value_or(std::vector<std::string>{});
  auto module_cmdlines = f.strings("module_cmdlines");
  auto nv = f.strings("nv").value_or(std::vector<std::string>{});
  f.finish();

  auto version = TbootVersion::parse(version_text);
  if (!version) f.fail("version", fmt::format("'{}' is not a tboot version", version_text));
  // SINIT's events depend on tboot's version in two ways (the command-line rule of 1.9.4, the
  // cbnt_supported capability of 1.10.1): the sinit stage must have assumed a compatible one.
  if (auto assumed = TbootVersion::parse(ctx.txt.sinit_tboot_version)) {
    auto side = [](const TbootVersion& v) {
      return std::pair{v >= TbootVersion{1, 9, 4}, v >= TbootVersion{1, 10, 1}};
    };
    if (side(*assumed) != side(*version))
      f.fail("version",
             fmt::format("tboot {} but the sinit stage measured for tboot {} (its tboot_version, "
                         "else the profile's): set tboot_version = \"{}\" in the sinit stage",
                         version_text, assumed->to_string(), version_text));
  }
  const TbootVersion& v = *version;

  // TPM family and command line: the sinit stage's unless given; both given must agree.
  if (!tpm_text && ctx.txt.tpm.empty()) f.fail("", "needs 'tpm' (\"1.2\" or \"2.0\")");
  if (tpm_text && !ctx.txt.tpm.empty() && *tpm_text != ctx.txt.tpm)
    f.fail("tpm", fmt::format("'{}' but the profile {} is TPM {}", *tpm_text, ctx.txt.profile,
                              ctx.txt.tpm));
  auto tpm = parse_tpm_family(tpm_text.value_or(ctx.txt.tpm));
  if (!tpm) f.fail("tpm", "must be \"1.2\" or \"2.0\"");
  if (cmdline_key && ctx.txt.cmdline && *cmdline_key != *ctx.txt.cmdline)
    f.fail("cmdline", fmt::format("differs from the sinit stage's (\"{}\"), which the MLE hash "
                                  "used",
                                  *ctx.txt.cmdline));
  const std::string cmdline = cmdline_key.value_or(ctx.txt.cmdline.value_or(""));

  // PCR mapping.
  std::string mapping_name = mapping_text.value_or("auto");
  if (mapping_name != "auto" && !parse_pcr_mapping(mapping_name))
    f.fail("mapping", "must be legacy, da or auto");
  PcrMapping mapping = PcrMapping::kLegacy;
  std::string mapping_why;
  if (!ctx.txt.mapping.empty()) {
    mapping = *parse_pcr_mapping(ctx.txt.mapping);
    if (mapping_name != "auto" && mapping_name != ctx.txt.mapping)
      f.fail("mapping", fmt::format("'{}' but the profile {} records a {} launch", mapping_name,
                                    ctx.txt.profile, ctx.txt.mapping));
    mapping_why = "as in the profile";
  } else if (mapping_name != "auto") {
    mapping = *parse_pcr_mapping(mapping_name);
    mapping_why = "as given";
  } else if (*tpm == TpmFamily::k20) {
    mapping = PcrMapping::kDa;
    mapping_why = "TPM 2.0";
  } else {
    if (!caps) f.fail("mapping", "auto on TPM 1.2 needs sinit_caps (or a sinit stage's profile)");
    if (*caps < 0 || *caps > 0xffffffff) f.fail("sinit_caps", "is not a 32-bit value");
    try {
      mapping = choose_pcr_mapping(*tpm, v, static_cast<uint32_t>(*caps), cmdline);
    } catch (const Error& e) {
      f.fail("sinit_caps", e.message());
    }
    mapping_why = fmt::format("tboot's rule, SINIT caps {:#x}", *caps);
  }
  const bool da = mapping == PcrMapping::kDa;

  // Extend policy: the banks tboot's events reach.
  auto cmd_extpol = tboot_cmdline_option(cmdline, "extpol");
  if (extpol_key && cmd_extpol && *extpol_key != *cmd_extpol)
    f.fail("extpol",
           fmt::format("'{}' but the command line says extpol={}", *extpol_key, *cmd_extpol));
  ExtendPolicy ep;
  try {
    ep = tboot_extend_policy(*tpm, v, extpol_key.value_or(cmd_extpol.value_or("")), ctx.banks);
  } catch (const Error& e) {
    f.fail("extpol", e.message());
  }

  // The verified-launch policy.
  TbPolicy policy;
  std::string policy_artifact;
  if (policy_name) {
    auto path = ctx.resolve(*policy_name);
    policy = f.reading(
        "policy", [&] { return TbPolicy::load(path); }, StageFields::Blame::kInputOrEnvironment);
    policy_artifact = path.string();
  } else {
    try {
      policy = TbPolicy::parse(default_tb_policy(v, *tpm, mapping), "default policy");
    } catch (const Error& e) {
      f.fail("version", e.message());
    }
    policy_artifact = fmt::format("default policy of tboot {}", v.to_string());
  }

  if (module_cmdlines && module_cmdlines->size() != modules.size())
    f.fail("module_cmdlines",
           fmt::format("has {} entries for {} modules", module_cmdlines->size(), modules.size()));
  std::vector<Event> out;
  const std::string rule_base = fmt::format("tboot-{}/{}/{}", v.to_string(), tpm_family_name(*tpm),
                                            pcr_mapping_name(mapping));

  // Without a sinit stage the MLE hash (SINIT's measurement) may come from here.
  if (mle_spec) {
    if (ctx.txt.sinit_seen) f.fail("mle", "the sinit stage already measured the MLE");
    TxtArtifact mle = parse_txt_artifact(*mle_spec, f, "mle", ctx);
    std::string mcmd = v < TbootVersion{1, 9, 4} ? TbootMle::skip_filename(cmdline) : cmdline;
    std::vector<HashAlg> banks =
        *tpm == TpmFamily::k12 ? std::vector<HashAlg>{HashAlg::kSha1} : ctx.banks;
    Event e;
    e.pcr = da ? 17 : 18;
    e.type = ev::kTxtMleHash;
    e.digests = txt_mle_digests(mle, mcmd, banks, f, "mle");
    e.description = fmt::format("SINIT MLE_HASH of tboot (command line \"{}\")", shorten(mcmd));
    e.provenance.artifact = mle.kind == TxtArtifact::Kind::kFile ? mle.path.string() : mle.text;
    e.provenance.rule = rule_base + "/mle-hash";
    out.push_back(std::move(e));
  }

  // 1. The policy (PCR 17; with DA again in PCR 18).
  {
    Event e;
    e.type = ev::kTbootMeasurement;
    for (HashAlg b : ep.banks)
      e.digests.push_back(tb_policy_event_digest(policy.raw, policy.policy_control, ep.cur_alg, b));
    e.description =
        fmt::format("tboot policy (control {:#x}, inner {}; {} mapping: {})", policy.policy_control,
                    hash_alg_name(ep.cur_alg), pcr_mapping_name(mapping), mapping_why);
    e.provenance.artifact = policy_artifact;
    e.provenance.rule = rule_base + "/policy, extpol " + ep.name;
    e.pcr = 17;
    out.push_back(e);
    if (da) {
      e.pcr = 18;
      out.push_back(e);
    }
  }

  // 2. Modules: module 0 always, then each where the policy sends it.
  std::vector<std::vector<Digest>> measured(modules.size());
  std::vector<std::string> artifact(modules.size());
  for (size_t i = 0; i < modules.size(); ++i) {
    TxtArtifact a = parse_txt_artifact(modules[i], f, "modules", ctx);
    const std::string cmd =
        measured_module_cmdline(v, module_cmdlines ? (*module_cmdlines)[i] : std::string());
    switch (a.kind) {
      case TxtArtifact::Kind::kFile:
        measured[i] = f.reading(
            "modules", a.path, [&] { return tb_module_digests(ep.banks, cmd, a.path); },
            StageFields::Blame::kInputOrEnvironment);
        artifact[i] = a.path.string();
        break;
      case TxtArtifact::Kind::kDigest:
        for (HashAlg b : ep.banks) measured[i].push_back(a.need(b, f, "modules"));
        artifact[i] = a.text;
        break;
      case TxtArtifact::Kind::kImageDigest:
        for (HashAlg b : ep.banks) {
          const Digest& img = a.need(b, f, "modules");
          Hasher h(b);
          h.update(hash(b, cmd).bytes());
          h.update(img.bytes());
          measured[i].push_back(h.finish());
        }
        artifact[i] = a.text;
        break;
    }
  }
  auto module_event = [&](size_t i, unsigned pcr, const std::string& why) {
    Event e;
    e.pcr = pcr;
    e.type = ev::kTbootMeasurement;
    e.digests = measured[i];
    e.description = fmt::format(
        "tboot module {} \"{}\"", i,
        shorten(measured_module_cmdline(v, module_cmdlines ? (*module_cmdlines)[i] : "")));
    e.provenance.artifact = artifact[i];
    e.provenance.rule = rule_base + "/" + why;
    out.push_back(std::move(e));
  };
  if (!modules.empty()) module_event(0, da ? 17 : 18, "module 0");
  for (size_t i = 0; i < modules.size(); ++i) {
    auto pcr = module_policy_pcr(policy, static_cast<unsigned>(i));
    if (pcr) module_event(i, *pcr, fmt::format("module {} by policy entry", i));
  }

  // 3. measure_nv (TPM 1.2 only): NV indices named by the policy.
  const bool measure_nv = tboot_cmdline_option(cmdline, "measure_nv") == "true";
  std::map<uint32_t, Bytes> nv_values;
  for (const auto& item : nv) {
    size_t eq = item.find('=');
    auto idx = eq == std::string::npos ? std::nullopt : parse_uint(item.substr(0, eq));
    auto data = eq == std::string::npos ? std::nullopt : from_hex(item.substr(eq + 1));
    if (!idx || *idx > 0xffffffff || !data)
      f.fail("nv", fmt::format("'{}' is not INDEX=HEX", item));
    nv_values[static_cast<uint32_t>(*idx)] = *data;
  }
  if (measure_nv && *tpm == TpmFamily::k12) {
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
      e.provenance.rule = rule_base + "/measure_nv";
      out.push_back(std::move(e));
    }
  } else if (!nv.empty()) {
    f.fail("nv", *tpm == TpmFamily::k12 ? "is read only with measure_nv=true on the command line"
                                        : "tboot measures NV indices on TPM 1.2 only");
  }
  ctx.txt.dynamic_launch = true;
  return out;
}

}  // namespace integral
