// GUID partition tables (UEFI 2.10 §5.3) in a disk image, and the EFI_GPT_DATA event firmware
// measures into PCR 5 (EV_EFI_GPT_EVENT) before it starts an image from such a disk: the primary
// header (the 92 bytes of EFI_PARTITION_TABLE_HEADER), a UINT64 count, then every entry whose
// partition type GUID is not zero, in table order, as EDK2's DxeTpm2MeasureBootLib builds it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "integral/util/bytes.h"

namespace integral {

// One non-empty entry of the partition table: what an EFI HD() device path names.
struct GptPartition {
  uint32_t number = 0;  // 1-based index in the entry array
  std::array<uint8_t, 16> type{};
  std::array<uint8_t, 16> unique{};  // UniquePartitionGUID, on-disk byte order
  uint64_t first_lba = 0, last_lba = 0;
};

struct GptData {
  Bytes event;              // EFI_GPT_DATA
  uint64_t partitions = 0;  // the non-empty entries it holds
  std::vector<GptPartition> entries;
};

// The primary GPT of `disk` with logical blocks of `block_size` bytes, checked as firmware
// checks it before use: signature, header size, header and entry-array CRC32, entries inside the
// image. Errors: Error(kBadInput) naming `file` and the offset.
GptData efi_gpt_data(std::span<const uint8_t> disk, const std::string& file,
                     uint32_t block_size = 512);

}  // namespace integral
