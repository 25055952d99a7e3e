#include "integral/predict/stage.h"

#include <fmt/format.h>

#include "integral/tpm/pcr_set.h"
#include "integral/util/error.h"

namespace integral {

StageFields::StageFields(std::string file, size_t index, uint32_t line,
                         std::map<std::string, Field> fields)
    : file_(std::move(file)), index_(index), line_(line), fields_(std::move(fields)) {
  auto it = fields_.find("type");
  if (it == fields_.end()) fail("", "has no 'type'");
  if (auto* s = std::get_if<std::string>(&it->second.value))
    type_ = *s;
  else
    fail("type", "must be a string");
  used_["type"] = true;
  used_["name"] = true;  // an optional label for people
}

void StageFields::blame_error(std::string_view key, const std::filesystem::path* path,
                              const Error& e, Blame blame) const {
  const bool ours = e.code() == ExitCode::kBadInput ||
                    (blame == Blame::kInputOrEnvironment && e.code() == ExitCode::kEnvironment);
  if (!ours) throw;  // still inside reading_impl's handler: the original exception
  fail(key, path ? fmt::format("{}: {}", path->string(), e.message()) : std::string(e.what()));
}

void StageFields::fail(std::string_view key, std::string_view message) const {
  uint32_t line = line_;
  if (!key.empty()) {
    auto it = fields_.find(std::string(key));
    if (it != fields_.end()) line = it->second.line;
  }
  std::string where = fmt::format("line {}: stage {}{}", line, index_,
                                  type_.empty() ? "" : fmt::format(" ({})", type_));
  if (!key.empty()) where += fmt::format(": '{}'", key);
  throw_bad_input(fmt::format("{} {}", where, message), file_);
}

const StageFields::Field* StageFields::find(std::string_view key) {
  auto it = fields_.find(std::string(key));
  if (it == fields_.end()) return nullptr;
  used_[it->first] = true;
  return &it->second;
}

std::optional<std::string> StageFields::string(std::string_view key) {
  const Field* f = find(key);
  if (!f) return std::nullopt;
  if (auto* s = std::get_if<std::string>(&f->value)) return *s;
  fail(key, "must be a string");
}

std::string StageFields::required_string(std::string_view key) {
  auto s = string(key);
  if (!s) fail("", fmt::format("needs '{}'", key));
  return *s;
}

std::optional<int64_t> StageFields::integer(std::string_view key) {
  const Field* f = find(key);
  if (!f) return std::nullopt;
  if (auto* i = std::get_if<int64_t>(&f->value)) return *i;
  fail(key, "must be an integer");
}

std::optional<bool> StageFields::boolean(std::string_view key) {
  const Field* f = find(key);
  if (!f) return std::nullopt;
  if (auto* b = std::get_if<bool>(&f->value)) return *b;
  fail(key, "must be true or false");
}

std::optional<std::vector<std::string>> StageFields::strings(std::string_view key) {
  const Field* f = find(key);
  if (!f) return std::nullopt;
  if (auto* v = std::get_if<std::vector<std::string>>(&f->value)) return *v;
  fail(key, "must be an array of strings");
}

std::vector<std::pair<HashAlg, std::string>> StageFields::bank_strings() {
  std::vector<std::pair<HashAlg, std::string>> out;
  for (const auto& [key, field] : fields_) {
    auto alg = parse_hash_alg(key);
    if (!alg || used_[key]) continue;
    if (auto* s = std::get_if<std::string>(&field.value))
      out.emplace_back(*alg, *s);
    else
      fail(key, "must be a hex string");
    used_[key] = true;
  }
  return out;
}

unsigned StageFields::pcr() {
  auto p = integer("pcr");
  if (!p) fail("", "needs 'pcr'");
  if (*p < 0 || *p >= kPcrCount) fail("pcr", fmt::format("{} is out of range (0-23)", *p));
  return static_cast<unsigned>(*p);
}

void StageFields::finish() const {
  for (const auto& [key, field] : fields_) {
    auto it = used_.find(key);
    if (it == used_.end() || !it->second) fail(key, "is not a key of this stage");
  }
}

std::filesystem::path StageContext::resolve(const std::string& path) const {
  std::filesystem::path p(path);
  if (!p.is_absolute()) p = base_dir / p;
  if (inputs) inputs->insert(p.lexically_normal());
  return p;
}

const std::vector<StageType>& stage_types() {
  static const std::vector<StageType> types = {
      {"file", run_file_stage,
       "an initramfs or script extends a PCR with a measurement of a file (meta-measured)"},
      {"digest", run_digest_stage, "extend literal digests copied from elsewhere"},
      {"uki", run_uki_stage, "systemd-stub measures a UKI's sections into PCR 11"},
      {"linux-stub", run_linux_stub_stage,
       "the Linux EFI stub measures LoadOptions and the initrd into PCR 9"},
      {"cmdline", run_cmdline_stage, "systemd-boot/stub measure a kernel command line into PCR 12"},
      {"uefi-app", run_uefi_app_stage,
       "UEFI firmware measures PE images it loads into PCR 4, with its fixed events"},
      {"gpt", run_gpt_stage,
       "UEFI firmware measures the boot disk's GUID partition table into PCR 5"},
      {"secureboot", run_secureboot_stage,
       "UEFI firmware measures the Secure Boot variables into PCR 7 (Secure Boot off)"},
      {"sinit", run_sinit_stage,
       "Intel TXT SINIT measures into PCR 17 (and 18 with DA): events from a platform profile, "
       "MLE hash from the tboot artifact"},
      {"tboot", run_tboot_stage,
       "tboot measures its policy and the multiboot modules into PCR 17/18/19 (and 22)"},
      {"profile", run_profile_stage,
       "the platform's own events (PCRs 0-3, 6; PCRs 4, 5, 7 up to the separator) copied from a "
       "reference event log"},
      {"shim", run_shim_stage,
       "shim measures its MOK lists (PCR 14), SbatLevel and the authorities of what it verifies "
       "(PCR 7), and what it starts (PCR 4)"},
      {"grub", run_grub_stage,
       "GRUB measures the commands it runs (PCR 8) and the files it reads (PCR 9) for a grub.cfg"},
  };
  return types;
}

std::vector<Event> run_stage(const StageType& type, StageFields& f, const StageContext& ctx,
                             TxtLaunchState& txt) {
  if (auto* run_txt = std::get_if<TxtStageFn>(&type.run)) return (*run_txt)(f, ctx, txt);
  return std::get<StageFn>(type.run)(f, ctx);
}

}  // namespace integral
