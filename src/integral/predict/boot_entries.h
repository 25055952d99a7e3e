// Boot options an image installs (what `efibootmgr --create` or an installer writes to NVRAM),
// as UEFI firmware measures them into PCR 1 at ReadyToBoot: EV_EFI_VARIABLE_BOOT for BootOrder,
// then one per Boot#### in BootOrder's order, each digest over the variable's contents alone
// (EDK2's rule; the event data is the whole UEFI_VARIABLE_DATA). The installed options come
// first in BootOrder; the platform's own options (its boot manager menu, shell, the devices it
// found) follow, as a reference log of the same platform recorded them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "integral/chain/event.h"
#include "integral/formats/gpt.h"

namespace integral {

// "0005:debian:disk.img:1:\EFI\debian\shimx64.efi": Boot0005, labelled "debian", starting the
// loader at that path on partition 1 of the GPT disk image disk.img.
struct BootEntry {
  uint16_t number = 0;
  std::string label;
  std::string disk;
  uint32_t partition = 0;
  std::string loader;  // with backslashes, as UEFI file paths are written
};
// Throws Error(kBadInput) naming what is wrong; `what` names the entry in messages.
BootEntry parse_boot_entry(std::string_view text, const std::string& what);

// EFI_LOAD_OPTION as efibootmgr writes it: LOAD_OPTION_ACTIVE, the file path list
// HD(partition, GPT)/File(loader)/End, the label, no optional data.
std::vector<uint8_t> efi_load_option(const BootEntry& e, const GptPartition& p);

// `events` with PCR 1's boot-variable events (BootOrder, Boot####) replaced, in place, by those
// of the platform's options plus `installed` (number and load option each), installed first.
// Throws Error(kBadInput) when `events` has no BootOrder event in PCR 1. `rule` and `artifact`
// label the new events' provenance.
struct InstalledOption {
  uint16_t number = 0;
  std::vector<uint8_t> option;
  std::string artifact;
};
std::vector<Event> with_boot_options(const std::vector<Event>& events,
                                     const std::vector<InstalledOption>& installed,
                                     std::span<const HashAlg> banks, const std::string& source);

}  // namespace integral
