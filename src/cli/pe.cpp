// integral pe hash FILE... : Authenticode digests of PE/COFF images (what UEFI firmware
// measures into PCR 4, and what `pesign -h` prints); integral pe sections FILE : the section
// table, as a UKI's measurements see it.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "integral/formats/pe.h"
#include "integral/util/error.h"
#include "integral/util/json_io.h"
#include "integral/util/mapped_file.h"
#include "integral/util/text.h"

namespace integral::cli {

namespace {

Command add_pe(CLI::App& root) {
  auto* app = root.add_subcommand("pe", "Read PE/COFF images (UEFI applications, UKIs)");
  app->require_subcommand(1);
  struct Opts {
    std::vector<std::string> files;
    std::string algs = "sha256";
    bool pad = false, json = false;
    std::string file;
  };
  auto o = std::make_shared<Opts>();
  auto* hash = app->add_subcommand("hash", "Authenticode digest of each image (as pesign -h)");
  hash->add_option("files", o->files, "PE images")->required();
  hash->add_option("-a,--alg", o->algs, "Comma-separated algorithms (sha1,sha256,sha384,sha512)")
      ->capture_default_str();
  hash->add_flag("--pad", o->pad,
                 "Hash an unsigned image as a signing tool will: padded with zeros to 8 bytes");
  hash->add_flag("--json", o->json, "Machine-readable output");
  auto* sections = app->add_subcommand("sections", "List the section table");
  sections->add_option("file", o->file, "PE image")->required();
  sections->add_flag("--json", o->json, "Machine-readable output");

  return {app, [o, hash, sections] {
            nlohmann::ordered_json j = nlohmann::ordered_json::array();
            std::string text;
            if (hash->parsed()) {
              const std::vector<HashAlg> algs = parse_hash_alg_list(o->algs);
              if (algs.empty()) throw_usage("--alg names no hash algorithm");
              for (const auto& f : o->files) {
                MappedFile in(f, MappedFile::NonRegular::kRefuse);
                PeImage img = parse_pe(in.bytes(), f);
                auto digests = authenticode_digests(
                    in.bytes(), img, algs, o->pad ? PePadding::kSignTool : PePadding::kAsIs);
                nlohmann::ordered_json entry;
                entry["file"] = f;
                entry["signed"] = img.cert_table_size > 0;
                for (const auto& d : digests) {
                  entry[std::string(hash_alg_name(d.alg()))] = d.hex();
                  text += fmt::format("{}  {}  {}\n", hash_alg_name(d.alg()), d.hex(),
                                      escape_terminal(f));
                }
                j.push_back(entry);
              }
            } else if (sections->parsed()) {
              MappedFile in(o->file, MappedFile::NonRegular::kRefuse);
              PeImage img = parse_pe(in.bytes(), o->file);
              text += fmt::format("{:<8} {:>10} {:>10} {:>10} {:>10}\n", "name", "vaddr", "vsize",
                                  "rawptr", "rawsize");
              for (const auto& s : img.sections) {
                j.push_back({{"name", s.name},
                             {"virtual_address", s.virtual_address},
                             {"virtual_size", s.virtual_size},
                             {"pointer_to_raw_data", s.pointer_to_raw_data},
                             {"size_of_raw_data", s.size_of_raw_data}});
                text += fmt::format("{:<8} {:#10x} {:>10} {:#10x} {:>10}\n",
                                    escape_terminal(s.name), s.virtual_address, s.virtual_size,
                                    s.pointer_to_raw_data, s.size_of_raw_data);
              }
            }
            emit("", o->json ? dump_json(j, 2) + "\n" : text);
            return 0;
          }};
}

const CommandRegistrar registered(80, add_pe);

}  // namespace

}  // namespace integral::cli
