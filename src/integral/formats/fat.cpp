#include "integral/formats/fat.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "integral/util/byte_reader.h"

namespace integral {

namespace {

struct Volume {
  const ByteReader* r = nullptr;
  uint64_t cluster_bytes = 0;
  uint64_t fat = 0;           // first FAT, byte offset
  uint64_t root = 0;          // FAT12/16: the fixed root directory, byte offset
  uint64_t root_len = 0;      // its size
  uint32_t root_cluster = 0;  // FAT32
  uint64_t data = 0;          // cluster 2
  uint32_t clusters = 0;
  int bits = 12;
};

Volume read_boot_sector(const ByteReader& r) {
  Volume v;
  v.r = &r;
  const uint32_t bps = r.u16(11, "BytesPerSector");
  const uint32_t spc = r.u8(13, "SectorsPerCluster");
  if (bps < 512 || bps > 4096 || (bps & (bps - 1)) != 0)
    r.fail(11, fmt::format("BytesPerSector {} is not a power of two from 512 to 4096", bps));
  if (spc == 0 || (spc & (spc - 1)) != 0)
    r.fail(13, fmt::format("SectorsPerCluster {} is not a power of two", spc));
  const uint64_t reserved = r.u16(14, "ReservedSectors");
  const uint64_t nfats = r.u8(16, "NumberOfFATs");
  const uint64_t root_entries = r.u16(17, "RootEntries");
  const uint64_t total =
      r.u16(19, "TotalSectors16") ? r.u16(19, "TotalSectors16") : r.u32(32, "TotalSectors32");
  const uint64_t fat_sectors =
      r.u16(22, "SectorsPerFAT16") ? r.u16(22, "SectorsPerFAT16") : r.u32(36, "SectorsPerFAT32");
  if (reserved == 0 || nfats == 0 || fat_sectors == 0)
    r.fail(14, "no reserved sectors, FATs or FAT sectors: not a FAT boot sector");
  const uint64_t root_sectors = (root_entries * 32 + bps - 1) / bps;
  const uint64_t first_data = reserved + nfats * fat_sectors + root_sectors;
  if (total <= first_data || total * bps > r.size())
    r.fail(19, fmt::format("{} sectors of {} bytes do not fit the volume ({} bytes) or leave no "
                           "data area",
                           total, bps, r.size()));
  v.cluster_bytes = uint64_t{bps} * spc;
  v.fat = reserved * bps;
  v.root = (reserved + nfats * fat_sectors) * bps;
  v.root_len = root_entries * 32;
  v.data = first_data * bps;
  v.clusters = static_cast<uint32_t>((total - first_data) / spc);
  // Microsoft's FAT specification: the type follows from the count of clusters alone.
  v.bits = v.clusters < 4085 ? 12 : v.clusters < 65525 ? 16 : 32;
  if (v.bits == 32) v.root_cluster = r.u32(44, "RootCluster");
  return v;
}

uint32_t next_cluster(const Volume& v, uint32_t c) {
  const ByteReader& r = *v.r;
  if (v.bits == 12) {
    const uint64_t at = v.fat + c + c / 2;
    const uint16_t e = r.u16(at, "FAT12 entry");
    const uint32_t n = (c & 1) ? e >> 4 : e & 0xfff;
    return n >= 0xff8 ? 0xffffffff : n;
  }
  if (v.bits == 16) {
    const uint32_t n = r.u16(v.fat + uint64_t{c} * 2, "FAT16 entry");
    return n >= 0xfff8 ? 0xffffffff : n;
  }
  const uint32_t n = r.u32(v.fat + uint64_t{c} * 4, "FAT32 entry") & 0x0fffffff;
  return n >= 0x0ffffff8 ? 0xffffffff : n;
}

// The bytes of a cluster chain, at most `limit` bytes (a file's size) when given.
std::vector<uint8_t> read_chain(const Volume& v, uint32_t first, std::optional<uint64_t> limit,
                                uint64_t where) {
  const ByteReader& r = *v.r;
  std::vector<uint8_t> out;
  uint32_t c = first;
  for (uint32_t steps = 0; c != 0xffffffff; ++steps) {
    if (c < 2 || c - 2 >= v.clusters)
      r.fail(where, fmt::format("cluster {} lies outside the volume's {} clusters", c, v.clusters));
    if (steps > v.clusters) r.fail(where, "cluster chain loops");
    auto b = r.bytes(v.data + uint64_t{c - 2} * v.cluster_bytes, v.cluster_bytes, "cluster");
    const uint64_t take = limit ? std::min<uint64_t>(b.size(), *limit - out.size()) : b.size();
    out.insert(out.end(), b.begin(), b.begin() + static_cast<ptrdiff_t>(take));
    if (limit && out.size() == *limit) break;
    c = next_cluster(v, c);
  }
  if (limit && out.size() != *limit)
    r.fail(where,
           fmt::format("file of {} bytes ends after {} bytes of clusters", *limit, out.size()));
  return out;
}

// "grub.cfg" as a directory entry spells it: "GRUB    CFG"; empty when it cannot be a short name.
std::string short_name(std::string_view name) {
  auto dot = name.rfind('.');
  std::string_view base = name.substr(0, dot), ext;
  if (dot != std::string_view::npos) ext = name.substr(dot + 1);
  if (base.empty() || base.size() > 8 || ext.size() > 3) return {};
  std::string out(11, ' ');
  for (size_t i = 0; i < base.size(); ++i)
    out[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(base[i])));
  for (size_t i = 0; i < ext.size(); ++i)
    out[8 + i] = static_cast<char>(std::toupper(static_cast<unsigned char>(ext[i])));
  return out;
}

struct Entry {
  bool found = false;
  bool dir = false;
  uint32_t cluster = 0;
  uint32_t size = 0;
  uint64_t offset = 0;
};

Entry find_entry(std::span<const uint8_t> dir, const std::string& name, uint64_t base) {
  for (size_t at = 0; at + 32 <= dir.size(); at += 32) {
    auto e = dir.subspan(at, 32);
    if (e[0] == 0) break;                         // end of directory
    if (e[0] == 0xe5 || e[11] == 0x0f) continue;  // deleted, long-name part
    if (e[11] & 0x08) continue;                   // volume label
    if (!std::equal(name.begin(), name.end(), e.begin())) continue;
    Entry out{true, (e[11] & 0x10) != 0, 0, 0, base + at};
    out.cluster = static_cast<uint32_t>(e[26] | e[27] << 8 | e[20] << 16 | e[21] << 24);
    out.size = static_cast<uint32_t>(e[28] | e[29] << 8 | e[30] << 16 | uint32_t{e[31]} << 24);
    return out;
  }
  return {};
}

}  // namespace

std::optional<std::vector<uint8_t>> fat_read_file(std::span<const uint8_t> volume,
                                                  std::string_view path, const std::string& file) {
  ByteReader r(volume, file);
  r.set_context("FAT volume");
  const Volume v = read_boot_sector(r);
  std::vector<uint8_t> dir;
  uint64_t dir_at = v.root;
  if (v.bits == 32) {
    dir = read_chain(v, v.root_cluster, std::nullopt, 44);
  } else {
    auto b = r.bytes(v.root, v.root_len, "root directory");
    dir.assign(b.begin(), b.end());
  }
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty()) {
    auto slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    const std::string name = short_name(part);
    if (name.empty()) return std::nullopt;
    const Entry e = find_entry(dir, name, dir_at);
    if (!e.found) return std::nullopt;
    if (path.empty()) {
      if (e.dir) return std::nullopt;
      if (e.size == 0) return std::vector<uint8_t>{};
      if (e.size > volume.size())
        r.fail(e.offset + 28, fmt::format("file size {} exceeds the volume", e.size));
      return read_chain(v, e.cluster, e.size, e.offset + 26);
    }
    if (!e.dir) return std::nullopt;
    dir = read_chain(v, e.cluster, std::nullopt, e.offset + 26);
    dir_at = e.offset;
  }
  return std::nullopt;
}

}  // namespace integral
