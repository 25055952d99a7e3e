// Building blocks shared by the UEFI prediction stages: the events UEFI firmware, systemd-stub
// and the Linux EFI stub log, with the digest rules they use.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "integral/chain/event.h"
#include "integral/crypto/hash_alg.h"

namespace integral::uefi {

// UTF-8 to UTF-16LE bytes, optionally with a terminating NUL (2 bytes); throws
// std::invalid_argument on malformed UTF-8.
std::vector<uint8_t> utf16le(std::string_view utf8, bool nul);

std::vector<Digest> hash_banks(std::span<const HashAlg> banks, std::span<const uint8_t> data);

// An event whose digest is H(data) in every bank and whose data is logged as is.
Event data_event(unsigned pcr, uint32_t type, std::vector<uint8_t> data,
                 std::span<const HashAlg> banks);
// An event that logs `data` but extends H(`measured`): a name or path logged for contents
// measured (GRUB's files, shim's MOK lists, a boot variable's contents).
Event measured_event(unsigned pcr, uint32_t type, std::vector<uint8_t> data,
                     std::span<const uint8_t> measured, std::span<const HashAlg> banks);
// EV_EFI_ACTION: H(ASCII text, no NUL), the text is the event data.
Event action_event(unsigned pcr, std::string_view text, std::span<const HashAlg> banks);
// EV_SEPARATOR with data 00000000.
Event separator_event(unsigned pcr, std::span<const HashAlg> banks);

}  // namespace integral::uefi

namespace integral {
class StageFields;
struct StageContext;
class MappedFile;
struct PeSection;
}  // namespace integral

namespace integral::uefi {

// A stage's artifact, mapped; a missing or unreadable file fails naming the stage key.
// The command line in the file `cmdline_file` names (relative to the description), at most
// 1 MiB; `artifact` becomes its path. Errors reading it are the key's.
std::string read_cmdline_file(StageFields& f, const std::string& cmdline_file,
                              const StageContext& ctx, std::string& artifact);
std::unique_ptr<MappedFile> open_artifact(StageFields& f, std::string_view key,
                                          const std::string& path, const StageContext& ctx);
// Digests of a section as loaded in memory (VirtualSize bytes), streamed.
std::vector<Digest> hash_section(const MappedFile& in, const PeSection& s,
                                 std::span<const HashAlg> banks);
// A section's loaded bytes as text (command lines), at most `max` bytes.
std::string section_text(StageFields& f, std::string_view key, const MappedFile& in,
                         const PeSection& s, size_t max = 1u << 20);

// What systemd-stub's .sdmagic says ("#### LoaderInfo: systemd-stub 257.9-1 ####"): whether it
// has the tag, where the version number starts, and its digits (at most 5 read) and value.
struct StubMagic {
  bool tagged = false;
  size_t number_at = 0;
  int digits = 0;
  int major = 0;
};
StubMagic parse_stub_magic(std::string_view text);

}  // namespace integral::uefi
