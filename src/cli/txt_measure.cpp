// integral txt mle-hash | module-hash | sinit-hash | policy : what SINIT and tboot measure.
#include <fmt/format.h>

#include "cli/txt.h"
#include "integral/formats/tb_policy.h"
#include "integral/formats/tboot_mle.h"
#include "integral/formats/txt_acm.h"
#include "integral/util/error.h"
#include "integral/util/hex.h"
#include "integral/util/json_io.h"

namespace integral::cli {

namespace {

struct AlgOpts {
  std::string file, alg = "sha256";
  std::optional<std::string> cmdline;
  bool json = false;
};

}  // namespace

Command add_txt_mle_hash(CLI::App& txt) {
  struct Opts : AlgOpts {
    bool skip_filename = false;
  };
  auto o = std::make_shared<Opts>();
  auto* mle = txt.add_subcommand(
      "mle-hash", "Hash of the tboot MLE as SINIT measures it (equals lcp2_mlehash --create)");
  mle->add_option("tboot", o->file, "tboot.gz or the tboot ELF")->required();
  mle->add_option("--cmdline", o->cmdline,
                  "tboot's command line as the loader passes it (GRUB 2: the arguments only); "
                  "omitted = the buffer as in the file");
  mle->add_flag("--skip-filename", o->skip_filename,
                "Drop the first word first, as tboot <= 1.9.3 did");
  mle->add_option("--alg", o->alg, "Comma-separated algorithms")->capture_default_str();
  mle->add_flag("--json", o->json, "Machine-readable output (with the MLE header)");
  return {mle, [o] {
            auto algs = parse_txt_algs(o->alg);
            auto m = TbootMle::load(o->file);
            auto cmdline = o->cmdline;
            if (cmdline && o->skip_filename) cmdline = TbootMle::skip_filename(*cmdline);
            auto ds = m.mle_hash(algs, cmdline);
            if (!o->json) {
              emit("", digests_text(ds, algs.size() > 1));
              return 0;
            }
            const auto& h = m.header();
            nlohmann::ordered_json j;
            j["file"] = o->file;
            j["mle_header"] = {{"image_offset", fmt::format("{:#x}", h.image_offset)},
                               {"version", fmt::format("{:#x}", h.version)},
                               {"mle_start_off", fmt::format("{:#x}", h.mle_start_off)},
                               {"mle_end_off", fmt::format("{:#x}", h.mle_end_off)},
                               {"capabilities", fmt::format("{:#x}", h.capabilities)},
                               {"cmdline_start_off", fmt::format("{:#x}", h.cmdline_start_off)},
                               {"cmdline_end_off", fmt::format("{:#x}", h.cmdline_end_off)}};
            if (cmdline) j["cmdline"] = *cmdline;
            j["mle_hash"] = digests_json(ds);
            emit("", dump_json(j, 2) + "\n");
            return 0;
          }};
}

Command add_txt_module_hash(CLI::App& txt) {
  auto o = std::make_shared<AlgOpts>();
  auto* mod = txt.add_subcommand(
      "module-hash", "tboot's measurement of a multiboot module: H(H(cmdline) || H(image))");
  mod->add_option("file", o->file, "The module as loaded (decompressed if the loader did)")
      ->required();
  mod->add_option("--cmdline", o->cmdline, "The module string as the loader passes it");
  mod->add_option("--alg", o->alg, "Comma-separated algorithms")->capture_default_str();
  mod->add_flag("--json", o->json, "Machine-readable output");
  return {mod, [o] {
            auto algs = parse_txt_algs(o->alg);
            auto ds = tb_module_digests(algs, o->cmdline.value_or(""), o->file);
            if (!o->json) {
              emit("", digests_text(ds, algs.size() > 1));
              return 0;
            }
            nlohmann::ordered_json j;
            j["file"] = o->file;
            j["cmdline"] = o->cmdline.value_or("");
            j["digest"] = digests_json(ds);
            emit("", dump_json(j, 2) + "\n");
            return 0;
          }};
}

Command add_txt_sinit_hash(CLI::App& txt) {
  struct Opts : AlgOpts {
    std::string edx = "0";
  };
  auto o = std::make_shared<Opts>();
  auto* sinit = txt.add_subcommand(
      "sinit-hash", "SINIT's HASH_START measurement of an ACM (ACMHASH || EDX, PCR 17 values)");
  sinit->add_option("acm", o->file, "SINIT ACM file")->required();
  sinit->add_option("--edx", o->edx, "GETSEC[SENTER] EDX flags (tboot: 0)")->capture_default_str();
  sinit->add_option("--alg", o->alg, "Banks for the DA event digests")->capture_default_str();
  sinit->add_flag("--json", o->json, "Machine-readable output");
  return {sinit, [o] {
            auto algs = parse_txt_algs(o->alg);
            uint32_t edx = 0;
            try {
              size_t used = 0;
              const unsigned long v = std::stoul(o->edx, &used, 0);
              if (used != o->edx.size() || v > 0xffffffffUL) throw std::out_of_range("");
              edx = static_cast<uint32_t>(v);
            } catch (const std::exception&) {
              throw_usage(fmt::format("--edx '{}' is not a 32-bit number", o->edx));
            }
            auto a = TxtAcm::load(o->file);
            const Bytes data = a.hash_start_data(edx);
            // Legacy (TPM 1.2): PCR 17 is reset and extended with SHA1(data) in one sequence;
            // the result is SinitMleData.SinitHash and the 0x402 record's digest.
            const Digest inner = hash(HashAlg::kSha1, data);
            Hasher h(HashAlg::kSha1);
            h.update(Digest::zero(HashAlg::kSha1).bytes());
            h.update(inner.bytes());
            const Digest sinit_hash = h.finish();
            std::vector<Digest> events;
            for (auto alg : algs) events.push_back(hash(alg, data));
            if (o->json) {
              nlohmann::ordered_json j;
              j["file"] = o->file;
              j["acm_hash_sha256"] = a.acm_hash().hex();
              j["edx"] = edx;
              j["hash_start_data"] = to_hex(data);
              j["hash_start_event_digest"] = digests_json(events);
              j["legacy_sinit_hash_sha1"] = sinit_hash.hex();
              emit("", dump_json(j, 2) + "\n");
              return 0;
            }
            std::string t = fmt::format("acm_hash (sha256)       {}\n", a.acm_hash().hex());
            t += fmt::format("hash_start data         {}\n", to_hex(data));
            for (const auto& d : events)
              t += fmt::format("event digest {:<10} {}\n", hash_alg_name(d.alg()), d.hex());
            t += fmt::format("legacy SinitHash (sha1) {}\n", sinit_hash.hex());
            emit("", t);
            return 0;
          }};
}

Command add_txt_policy(CLI::App& txt) {
  auto o = std::make_shared<AlgOpts>();
  auto* pol = txt.add_subcommand("policy", "Decode a tboot policy (tb_polgen file)");
  pol->add_option("policy", o->file, "Policy file")->required();
  pol->add_option("--alg", o->alg, "Banks for the policy event digest")->capture_default_str();
  pol->add_flag("--json", o->json, "Machine-readable output");
  return {pol, [o] {
            auto algs = parse_txt_algs(o->alg);
            auto p = TbPolicy::load(o->file);
            auto j = p.to_json();
            // The policy event as tboot extends it with this policy's algorithm as H_cur.
            nlohmann::ordered_json ev;
            for (auto alg : algs) {
              ev[std::string(hash_alg_name(alg))] =
                  tb_policy_event_digest(p.raw, p.policy_control, p.alg(), alg).hex();
            }
            j["policy_event_digest"] = ev;
            // The same JSON with or without --json (the flag is accepted for symmetry).
            emit("", dump_json(j, 2) + "\n");
            return 0;
          }};
}

}  // namespace integral::cli
