#include "integral/reference/uki_assembly.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "integral/formats/pe.h"
#include "integral/predict/boot_description.h"
#include "integral/reference/pcrsig.h"
#include "integral/util/error.h"
#include "integral/util/file_io.h"
#include "integral/util/json_io.h"
#include "integral/util/temp_dir.h"
#include "integral/util/text.h"

namespace integral {

namespace {

constexpr std::string_view kSbatHeader =
    "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md";
// The entry ukify gives a UKI when told no other (its STUB_SBAT).
constexpr std::string_view kUkiSbat =
    "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
    "uki,1,UKI,uki,1,https://uapi-group.org/specifications/specs/unified_kernel_image/\n";

// Lines as Python's str.splitlines() cuts them for text of this kind (\n, \r\n, \r).
std::vector<std::string> split_lines(std::string_view t) {
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < t.size()) {
    size_t end = t.find_first_of("\r\n", at);
    if (end == std::string_view::npos) end = t.size();
    lines.emplace_back(t.substr(at, end - at));
    at = end + (t.compare(end, 2, "\r\n") == 0 ? 2 : 1);
  }
  return lines;
}

// A section's raw bytes as text, trailing NULs dropped.
std::string section_text(const Bytes& image, const PeImage& pe, std::string_view name) {
  const PeSection* s = pe.section(name);
  if (!s || s->size_of_raw_data == 0) return {};
  std::string t(reinterpret_cast<const char*>(image.data()) + s->pointer_to_raw_data,
                s->size_of_raw_data);
  while (!t.empty() && t.back() == '\0') t.pop_back();
  return t;
}

// PCR 11 of the image as systemd-stub will measure it, by integral's own uki stage.
Prediction predict_uki(const Bytes& image, const std::vector<HashAlg>& banks) {
  TempDir tmp("integral-uki.");
  write_file_atomic(tmp.path() / "uki.efi",
                    std::string_view(reinterpret_cast<const char*>(image.data()), image.size()));
  std::string toml = "banks = [";
  for (size_t i = 0; i < banks.size(); ++i)
    toml += fmt::format("{}\"{}\"", i ? ", " : "", hash_alg_name(banks[i]));
  toml += "]\n[[stage]]\ntype = \"uki\"\nuki = \"uki.efi\"\n";
  BootDescription boot = parse_boot_description(toml, "the assembled UKI", tmp.path());
  Prediction p;
  p.source = "the assembled UKI";
  p.banks = boot.banks;
  p.chain = predict_chain(boot);
  return p;
}

}  // namespace

std::string merge_sbat(const std::vector<std::string>& pe_sbat,
                       const std::vector<std::string>& extra) {
  std::vector<std::string> entries;
  auto take = [&](std::string_view text) {
    std::vector<std::string> lines = split_lines(text);
    // Text that does not start with the header is no SBAT data: skipped, as ukify does.
    if (lines.empty() || !lines[0].starts_with("sbat,")) return;
    entries.insert(entries.end(), lines.begin() + 1, lines.end());
  };
  for (const auto& t : pe_sbat) take(t);
  for (const auto& t : extra) take(t);
  std::string out(kSbatHeader);
  out += '\n';
  for (size_t i = 0; i < entries.size(); ++i) out += (i ? "\n" : "") + entries[i];
  out += "\n";
  out += '\0';
  return out;
}

std::string merge_pcrsigs(const std::vector<std::string>& pcrsigs) {
  nlohmann::ordered_json merged = nlohmann::ordered_json::object();
  for (const auto& text : pcrsigs) {
    const auto j = nlohmann::ordered_json::parse(text);
    for (auto it = j.begin(); it != j.end(); ++it) {
      auto& list = merged[it.key()];
      if (list.is_null()) list = nlohmann::ordered_json::array();
      for (const auto& sig : it.value())
        if (std::find(list.begin(), list.end(), sig) == list.end()) list.push_back(sig);
    }
  }
  return python_json_dumps(merged);
}

Bytes assemble_uki(const UkiInputs& in) {
  const PeImage stub = parse_pe(in.stub, in.stub_name);
  if (!in.signers.empty() && !in.linux)
    throw_usage("a signed PCR policy needs a kernel (.linux): without it the image is no UKI");

  std::vector<PeNewSection> sections;
  auto add = [&](const char* name, const std::optional<Bytes>& data) {
    if (data && !data->empty()) sections.push_back({name, *data});
  };
  add(".osrel", in.osrel);
  add(".cmdline", in.cmdline);
  add(".dtb", in.dtb);
  add(".uname", in.uname);
  add(".splash", in.splash);
  add(".pcrpkey", in.pcrpkey);
  add(".linux", in.linux);
  add(".initrd", in.initrd);
  add(".ucode", in.ucode);
  for (const auto& e : in.extra_sections) sections.push_back(e);
  if (in.linux) {
    // ukify merges the stub's and the kernel's SBAT entries with the given ones.
    std::vector<std::string> pe_sbat{section_text(in.stub, stub, ".sbat")};
    try {
      pe_sbat.push_back(section_text(*in.linux, parse_pe(*in.linux, ".linux"), ".sbat"));
    } catch (const Error&) {
      // a kernel that is not a PE has no .sbat
    }
    std::vector<std::string> extra = in.sbat;
    if (extra.empty()) extra.emplace_back(kUkiSbat);
    const std::string sbat = merge_sbat(pe_sbat, extra);
    sections.push_back({".sbat", Bytes(sbat.begin(), sbat.end())});
  }
  for (size_t i = 0; i < sections.size(); ++i)
    for (size_t j = i + 1; j < sections.size(); ++j)
      if (sections[i].name == sections[j].name)
        throw_usage("section " + sections[i].name + " given twice");
  if (!in.signers.empty())
    for (const auto& e : sections)
      if (e.name == ".pcrsig") throw_usage("a .pcrsig section and PCR signing keys: give one");
  Bytes image = pe_add_sections(in.stub, in.stub_name, sections);
  if (in.signers.empty()) return image;

  // systemd-measure signs every SHA bank unless told otherwise.
  std::vector<HashAlg> banks = in.banks;
  if (banks.empty()) banks = {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512};
  const Prediction p = predict_uki(image, banks);
  std::vector<std::string> sigs;
  for (const UkiSigner& s : in.signers) {
    PcrsigOptions o;
    o.banks = banks;
    o.phases = s.phases;
    sigs.push_back(pcrsig_json(p, o, s.key));
  }
  // .pcrsig goes last, so adding it to the assembled image lays out the same bytes as assembling
  // everything again would.
  const std::string pcrsig = merge_pcrsigs(sigs);
  const PeNewSection last[] = {{".pcrsig", Bytes(pcrsig.begin(), pcrsig.end())}};
  return pe_add_sections(image, in.stub_name, last);
}

}  // namespace integral
