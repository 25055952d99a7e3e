#include "integral/formats/gpt.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "integral/util/byte_reader.h"

namespace integral {

namespace {

constexpr size_t kHeaderStruct = 92;  // sizeof (EFI_PARTITION_TABLE_HEADER), packed

uint32_t crc32_of(std::span<const uint8_t> b) {
  uLong c = crc32(0L, Z_NULL, 0);
  // zlib takes at most UINT_MAX bytes per call
  while (!b.empty()) {
    const size_t n = std::min<size_t>(b.size(), 1u << 30);
    c = crc32(c, b.data(), static_cast<uInt>(n));
    b = b.subspan(n);
  }
  return static_cast<uint32_t>(c);
}

}  // namespace

GptData efi_gpt_data(std::span<const uint8_t> disk, const std::string& file, uint32_t block_size) {
  ByteReader r(disk, file);
  r.set_context("GPT");
  if (block_size < 512 || (block_size & (block_size - 1)) != 0)
    r.fail(0, fmt::format("block size {} is not a power of two of at least 512", block_size));
  const uint64_t h = block_size;  // LBA 1
  r.need(h, kHeaderStruct, "primary GPT header (LBA 1)");
  if (std::memcmp(r.bytes(h, 8, "signature").data(), "EFI PART", 8) != 0)
    r.fail(h, "no 'EFI PART' signature at LBA 1: not a GPT disk");
  const uint32_t header_size = r.u32(h + 12, "HeaderSize");
  if (header_size < kHeaderStruct || header_size > block_size)
    r.fail(h + 12, fmt::format("HeaderSize {} is not between {} and the block size {}", header_size,
                               kHeaderStruct, block_size));
  const auto stored = r.bytes(h, header_size, "header");
  Bytes header(stored.begin(), stored.end());
  const uint32_t header_crc = load_le32(header.data() + 16);
  std::memset(header.data() + 16, 0, 4);
  if (crc32_of(header) != header_crc)
    r.fail(h + 16, fmt::format("header CRC32 {:#010x} does not match its contents", header_crc));

  const uint64_t entry_lba = r.u64(h + 72, "PartitionEntryLBA");
  const uint32_t count = r.u32(h + 80, "NumberOfPartitionEntries");
  const uint32_t entry_size = r.u32(h + 84, "SizeOfPartitionEntry");
  if (entry_size < 128 || entry_size % 8 != 0)
    r.fail(h + 84, fmt::format("SizeOfPartitionEntry {} is not a multiple of 8 of at least 128",
                               entry_size));
  if (entry_lba < 2 || entry_lba > disk.size() / block_size)
    r.fail(h + 72, fmt::format("PartitionEntryLBA {} lies outside the image", entry_lba));
  const uint64_t at = entry_lba * block_size;
  const uint64_t len = uint64_t{count} * entry_size;  // both 32-bit: no overflow
  r.need(at, len, "partition entry array");
  const auto entries = r.bytes(at, len, "partition entry array");
  if (crc32_of(entries) != r.u32(h + 88, "PartitionEntryArrayCRC32"))
    r.fail(h + 88, "partition entry array CRC32 does not match the entries");

  GptData out;
  out.event.assign(header.begin(), header.begin() + kHeaderStruct);
  std::memcpy(out.event.data() + 16, stored.data() + 16, 4);  // the CRC as stored
  const size_t count_at = out.event.size();
  append_le64(out.event, 0);
  static const uint8_t kZeroGuid[16] = {};
  for (uint64_t i = 0; i < count; ++i) {
    auto e = entries.subspan(i * entry_size, entry_size);
    if (std::memcmp(e.data(), kZeroGuid, 16) == 0) continue;
    out.event.insert(out.event.end(), e.begin(), e.end());
    ++out.partitions;
    GptPartition part;
    part.number = static_cast<uint32_t>(i + 1);
    std::memcpy(part.type.data(), e.data(), 16);
    std::memcpy(part.unique.data(), e.data() + 16, 16);
    part.first_lba = load_le64(e.data() + 32);
    part.last_lba = load_le64(e.data() + 40);
    out.entries.push_back(part);
  }
  for (int i = 0; i < 8; ++i)
    out.event[count_at + i] = static_cast<uint8_t>(out.partitions >> (8 * i));
  return out;
}

}  // namespace integral
