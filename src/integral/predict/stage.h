// A prediction stage: a function from its inputs (fields of a [[stage]] table in the boot
// description, plus the artifacts they name) to the events a boot component will measure.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "integral/chain/event.h"
#include "integral/crypto/digest.h"
#include "integral/crypto/hash_alg.h"
#include "integral/util/error.h"

namespace integral {

// The provenance rule of a systemd-pcrphase extend (a uki stage's `phases`), which signers
// replace with the phases they sign for.
inline constexpr std::string_view kPcrphaseRule = "uki/phase";

// One [[stage]] table, detached from the TOML library so stages need not include it.
class StageFields {
 public:
  using Value = std::variant<std::string, int64_t, bool, std::vector<std::string>>;
  struct Field {
    Value value;
    uint32_t line = 0;
  };

  StageFields(std::string file, size_t index, uint32_t line, std::map<std::string, Field> fields);

  const std::string& file() const { return file_; }
  size_t index() const { return index_; }
  const std::string& type() const { return type_; }

  // Typed accessors; each marks the key as understood. A present key of the wrong type fails.
  std::optional<std::string> string(std::string_view key);
  std::string required_string(std::string_view key);
  std::optional<int64_t> integer(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::vector<std::string>> strings(std::string_view key);
  // Keys a stage accepts as per-bank digests ("sha1 = ...", "sha256 = ..."): every remaining
  // string field whose key names a hash algorithm.
  std::vector<std::pair<HashAlg, std::string>> bank_strings();

  unsigned pcr();  // required "pcr", 0-23
  // Fails unless every key was consumed: a typo must not silently change a prediction.
  void finish() const;

  [[noreturn]] void fail(std::string_view key, std::string_view message) const;

  // Runs `read`, which reads what `key` names. Its bad-input errors (with
  // Blame::kInputOrEnvironment also its I/O errors) are the key's fault: they fail naming the
  // stage and key, with the error's own text (which names the file and offset), or as
  // "<path>: <message>" when `path` is given. Other errors pass through unchanged.
  enum class Blame { kInput, kInputOrEnvironment };
  template <typename Read>
  decltype(auto) reading(std::string_view key, Read&& read, Blame blame = Blame::kInput) const {
    return reading_impl(key, nullptr, std::forward<Read>(read), blame);
  }
  template <typename Read>
  decltype(auto) reading(std::string_view key, const std::filesystem::path& path, Read&& read,
                         Blame blame = Blame::kInput) const {
    return reading_impl(key, &path, std::forward<Read>(read), blame);
  }

 private:
  template <typename Read>
  decltype(auto) reading_impl(std::string_view key, const std::filesystem::path* path, Read&& read,
                              Blame blame) const {
    try {
      return read();
    } catch (const Error& e) {
      blame_error(key, path, e, blame);
    }
  }
  // Fails for `e` as `reading` says, or rethrows it.
  [[noreturn]] void blame_error(std::string_view key, const std::filesystem::path* path,
                                const Error& e, Blame blame) const;
  const Field* find(std::string_view key);
  std::string file_;
  size_t index_;
  uint32_t line_;
  std::string type_;
  std::map<std::string, Field> fields_;
  std::map<std::string, bool> used_;
};

// What the TXT stages hand each other, in stage order: the sinit stage (the platform's SINIT
// events, from a profile) records the launch's facts, which the tboot stage then follows. The
// stage runner owns one per boot and passes it to the TXT stages only (TxtStageFn); both set
// dynamic_launch, which becomes the chain's.
struct TxtLaunchState {
  bool dynamic_launch = false;         // PCRs 17-22 start from the launch's reset (zero)
  bool sinit_seen = false;             // a sinit stage emitted SINIT's events, MLE_HASH included
  std::string tpm;                     // "1.2" / "2.0"
  std::string mapping;                 // "legacy" / "da"
  std::optional<std::string> cmdline;  // the tboot command line the MLE was hashed with
  std::string profile;                 // the profile file, for messages
  // The tboot version the sinit stage assumed (its tboot_version, else the profile's): SINIT
  // measured that tboot's command-line rule and OsSinitData.Capabilities.
  std::string sinit_tboot_version;
};

// An image of the same build that a stage names (`image = "netvm"`) instead of a path: its
// measurement is taken from the image's build, never recomputed.
struct ImageArtifact {
  std::filesystem::path path;   // the image file (raw or VHD), for provenance
  uint64_t size = 0;            // of the raw file system
  std::vector<Digest> digests;  // of the raw file system (what an initramfs reads)
  std::optional<Digest> verity_root;
};
using ImageArtifacts = std::map<std::string, ImageArtifact, std::less<>>;

// What every stage reads: the same for the whole boot.
struct StageContext {
  std::filesystem::path base_dir;          // artifacts are relative to the boot description
  std::vector<HashAlg> banks;              // the TPM's active banks
  uint8_t startup_locality = 0;            // PCR 0's starting locality (boot description)
  const ImageArtifacts* images = nullptr;  // a build's images; null for a lone boot
  // Every file a stage resolves is recorded here when set: the boot's inputs, for a build's
  // provenance and its cache.
  std::set<std::filesystem::path>* inputs = nullptr;
  std::filesystem::path resolve(const std::string& path) const;
};

// A stage: its fields and the boot's context in, its events out.
using StageFn = std::vector<Event> (*)(StageFields&, const StageContext&);
// A TXT stage also reads and updates the launch state of the stages before it.
using TxtStageFn = std::vector<Event> (*)(StageFields&, const StageContext&, TxtLaunchState&);

struct StageType {
  std::string_view name;
  std::variant<StageFn, TxtStageFn> run;
  std::string_view summary;
};

const std::vector<StageType>& stage_types();

// Runs `type` on `f`, passing `txt` when it is a TXT stage.
std::vector<Event> run_stage(const StageType& type, StageFields& f, const StageContext& ctx,
                             TxtLaunchState& txt);

// The stages (one file each).
std::vector<Event> run_file_stage(StageFields& f, const StageContext& ctx);
std::vector<Event> run_digest_stage(StageFields& f, const StageContext& ctx);
std::vector<Event> run_uki_stage(StageFields& f, const StageContext& ctx);
std::vector<Event> run_linux_stub_stage(StageFields& f, const StageContext& ctx);
std::vector<Event> run_cmdline_stage(StageFields& f, const StageContext& ctx);
std::vector<Event> run_gpt_stage(StageFields& f, const StageContext& ctx);
std::vector<Event> run_uefi_app_stage(StageFields& f, const StageContext& ctx);
std::vector<Event> run_secureboot_stage(StageFields& f, const StageContext& ctx);
std::vector<Event> run_sinit_stage(StageFields& f, const StageContext& ctx, TxtLaunchState& txt);
std::vector<Event> run_tboot_stage(StageFields& f, const StageContext& ctx, TxtLaunchState& txt);
std::vector<Event> run_profile_stage(StageFields& f, const StageContext& ctx);
std::vector<Event> run_shim_stage(StageFields& f, const StageContext& ctx);
std::vector<Event> run_grub_stage(StageFields& f, const StageContext& ctx);

}  // namespace integral
