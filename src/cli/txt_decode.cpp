// integral txt heap | lcp | acm : decode a TXT heap, an LCP policy, an ACM header.
#include <fmt/format.h>

#include "cli/txt.h"
#include "integral/formats/lcp_policy.h"
#include "integral/formats/txt_acm.h"
#include "integral/formats/txt_heap.h"
#include "integral/util/hex.h"
#include "integral/util/json_io.h"
#include "integral/util/mapped_file.h"
#include "integral/util/text.h"

namespace integral::cli {

namespace {

// "key value" lines of a JSON object's members, strings shown escaped.
std::string member_line(const char* format_prefix, const std::string& k,
                        const nlohmann::ordered_json& v) {
  return fmt::format(fmt::runtime(format_prefix), k,
                     v.is_string() ? escape_terminal(v.get<std::string>()) : dump_json(v));
}

}  // namespace

// integral txt heap: the TXT heap regions and their extended elements.
Command add_txt_heap(CLI::App& txt) {
  struct Opts {
    std::string file;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = txt.add_subcommand(
      "heap", "Decode a TXT heap: a binary image, or the heap printed by txt-stat / tboot");
  cmd->add_option("file", o->file, "Heap image, txt-stat output or tboot serial log")->required();
  cmd->add_flag("--json", o->json, "Machine-readable output");
  return {cmd, [o] {
            auto h = load_txt_heap(o->file);
            emit("", o->json ? dump_json(h.to_json(), 2) + "\n" : h.to_text());
            return 0;
          }};
}

// integral txt lcp: an LCP policy (NV index contents) and/or its policy data file.
Command add_txt_lcp(CLI::App& txt) {
  struct Opts {
    std::string file;
    std::optional<std::string> data;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = txt.add_subcommand(
      "lcp", "Decode an LCP policy (v2 TPM 1.2 / v3 TPM 2.0) or an LCP policy data file");
  cmd->add_option("file", o->file, "LCP_POLICY (as in the NV index) or LCP_POLICY_DATA file")
      ->required();
  cmd->add_option("--data", o->data, "The policy data file, to check the policy's PolicyHash");
  cmd->add_flag("--json", o->json, "Machine-readable output");
  return {cmd, [o] {
            MappedFile in(o->file, MappedFile::NonRegular::kRefuse);
            nlohmann::ordered_json j;
            j["file"] = o->file;
            int rc = 0;
            std::optional<LcpPolicy> pol;
            std::optional<LcpPolicyData> data;
            if (is_lcp_policy_data(in.bytes())) {
              data = parse_lcp_policy_data(in.bytes(), in.path());
            } else {
              pol = parse_lcp_policy(in.bytes(), in.path());
              if (o->data) {
                MappedFile d(*o->data, MappedFile::NonRegular::kRefuse);
                data = parse_lcp_policy_data(d.bytes(), d.path());
              }
            }
            if (pol) {
              j["policy"] = pol->to_json();
              // What SINIT records as LcpPolicyHash (SHA-1 in SinitMleData with a TPM 1.2), and
              // the structure's hash with the policy's own algorithm.
              j["policy"]["structure_hash"] = {
                  {"sha1", pol->structure_hash(HashAlg::kSha1).hex()},
                  {std::string(hash_alg_name(pol->alg())), pol->structure_hash(pol->alg()).hex()}};
            }
            if (data) {
              j["data"] = data->to_json();
              const HashAlg alg = pol ? pol->alg() : HashAlg::kSha256;
              j["data"]["lists_hash"] = {
                  {std::string(hash_alg_name(alg)), data->lists_hash(alg).hex()}};
              if (pol) {
                const bool match = pol->policy_type == 1 ||
                                   to_hex(pol->policy_hash) == data->lists_hash(alg).hex();
                j["policy_hash_matches_data"] = match;
                if (!match) rc = 1;
              }
            }
            if (o->json) {
              emit("", dump_json(j, 2) + "\n");
              return rc;
            }
            std::string t;
            if (pol)
              for (auto& [k, v] : j["policy"].items()) t += member_line("policy.{:<24} {}\n", k, v);
            if (data) {
              size_t li = 0;
              for (const auto& l : j["data"]["lists"]) {
                t += fmt::format("list[{}] version {} size {} signed {}\n", li++,
                                 escape_terminal(l["version"].get<std::string>()),
                                 dump_json(l["size"]), dump_json(l["signed"]));
                for (const auto& e : l["elements"])
                  t += fmt::format("  element {}\n", dump_json(e));
              }
              t += fmt::format("data.lists_hash {}\n", dump_json(j["data"]["lists_hash"]));
            }
            if (j.contains("policy_hash_matches_data"))
              t += fmt::format("policy_hash {} the data\n", rc == 0 ? "matches" : "DOES NOT match");
            emit("", t);
            return rc;
          }};
}

// integral txt acm: an ACM header and its information table.
Command add_txt_acm(CLI::App& txt) {
  struct Opts {
    std::string file;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = txt.add_subcommand("acm", "Decode an ACM header and information table");
  cmd->add_option("acm", o->file, "ACM file")->required();
  cmd->add_flag("--json", o->json, "Machine-readable output");
  return {cmd, [o] {
            auto a = TxtAcm::load(o->file);
            auto j = a.to_json();
            if (o->json) {
              emit("", dump_json(j, 2) + "\n");
              return 0;
            }
            std::string t;
            for (auto& [k, v] : j.items())
              if (k != "info_table") t += member_line("{:<18} {}\n", k, v);
            if (j.contains("info_table"))
              for (auto& [k, v] : j["info_table"].items())
                t += member_line("info.{:<13} {}\n", k, v);
            emit("", t);
            return 0;
          }};
}

}  // namespace integral::cli
