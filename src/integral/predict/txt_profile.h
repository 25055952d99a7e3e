// A TXT platform profile: what a reference launch on one platform tells about the events only
// that platform's SINIT knows (BIOS ACM ID, SCRTM status, LCP, STM, NV info, CBnT, the ACM's
// own hash...), kept so that a build can predict PCR 17/18/19 for a new tboot, kernel or initrd
// on that hardware. tboot's own events and the MLE hash are recorded too, marked as recomputed
// from the artifacts. Written as TOML (like boot descriptions):
//
//   format = "integral-txt-profile"
//   version = 1
//   source = "reference launch file"
//   tpm = "2.0"                  mapping = "da"          log_format = "tcg"
//   banks = ["sha1", "sha256"]   tboot_banks = ["sha256"]
//   tboot_version = "1.10.2"     tboot_cmdline = "logging=serial,memory,vga"
//   [[event]]
//   pcr = 17  type = 1026  name = "HASH_START"  role = "platform"  line = 612
//   data = "hex"  sha1 = "hex"  sha256 = "hex"
//
// role: "platform" (emitted as is by the sinit stage), "mle" (MLE_HASH: recomputed from the
// tboot MLE), "tboot" (0x501: recomputed by the tboot stage; kept for reference only).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "integral/chain/event.h"
#include "integral/crypto/digest.h"
#include "integral/eventlog/txt_stat.h"
#include "integral/util/hex.h"

namespace integral {

struct ProfileEvent {
  unsigned pcr = 0;
  uint32_t type = 0;
  std::string role;  // platform, mle, tboot
  Bytes data;
  std::vector<Digest> digests;  // extend inputs, one per bank
  uint64_t line = 0;            // where the reference launch recorded it (0: unknown)
  std::string note;
  bool sets = false;  // digests are PCR values after the event (chain Event::sets)
};

struct TxtProfile {
  std::string source;      // the reference launch
  std::string tpm;         // "1.2" / "2.0"
  std::string mapping;     // "legacy" / "da"
  std::string log_format;  // "tpm12-container" / "tpm20-tcg" / "tpm12-heap"
  std::vector<HashAlg> banks;
  std::vector<HashAlg> tboot_banks;  // banks tboot's own events reached (its extend policy)
  std::string tboot_version;         // "" when the launch did not say
  std::optional<std::string> tboot_cmdline;
  std::vector<ProfileEvent> events;
  std::vector<std::string> notes;  // what the reference launch could not establish
};

// Facts a txt-stat dump or tboot serial log prints besides the event log.
struct LaunchFacts {
  std::string tboot_version;
  std::optional<std::string> tboot_cmdline;
};
LaunchFacts launch_facts(std::string_view text);

// From a parsed TXT event log (and the facts printed around it). In the TPM 1.2 container the
// HASH_START record holds the resulting PCR 17 (SinitHash), so the profile stores the extend
// input SHA1(ACMHASH || EDX) instead, after checking SHA1(0^20 || it) equals the record. A
// launch rebuilt from its heap (no log, SinitMleData < 8) has SinitHash without the data: the
// profile keeps it as PCR 17's value after HASH_START (`sets`). `notes` are carried over.
TxtProfile make_profile(const TxtLog& log, const LaunchFacts& facts, const std::string& source,
                        const std::vector<std::string>& notes = {});

std::string profile_to_toml(const TxtProfile& p);
// Throws Error(kBadInput) naming the file and line.
TxtProfile parse_profile(std::string_view text, const std::string& file);
TxtProfile load_profile(const std::filesystem::path& path);

}  // namespace integral
