// PE/COFF images (UEFI applications, UKIs): the header fields the Authenticode digest and the
// systemd-stub section measurements depend on, read with every access bounds-checked.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "integral/crypto/digest.h"

namespace integral {

struct PeSection {
  std::string name;  // up to 8 bytes, NULs stripped; a long name ("/N") read from the string table
  uint32_t virtual_size = 0;
  uint32_t virtual_address = 0;
  uint32_t size_of_raw_data = 0;
  uint32_t pointer_to_raw_data = 0;
  uint64_t header_offset = 0;  // where its section-table entry is, for error messages
};

struct PeImage {
  std::string file;  // for error messages
  uint64_t file_size = 0;
  bool pe32_plus = false;
  uint64_t coff_offset = 0;      // the COFF file header, after "PE\0\0"
  uint64_t optional_offset = 0;  // the optional header
  uint64_t section_table_offset = 0;
  uint64_t timestamp_offset = 0;  // COFF TimeDateStamp (covered by Authenticode)
  uint64_t checksum_offset = 0;   // optional header CheckSum (excluded)
  // The Certificate Table data-directory entry (excluded); absent when the image has fewer than
  // five data directories.
  std::optional<uint64_t> cert_dir_offset;
  uint32_t cert_table_offset = 0;  // a file offset, unlike the other directories' RVAs
  uint32_t cert_table_size = 0;
  uint32_t size_of_headers = 0;
  std::vector<PeSection> sections;  // in section-table order

  const PeSection* section(std::string_view name) const;
};

// Parses the headers of `data`; throws Error(kBadInput) naming `file` and the byte offset of
// the offending field.
PeImage parse_pe(std::span<const uint8_t> data, const std::string& file);

// The byte ranges the Authenticode digest covers, in hashing order (MS "Windows Authenticode
// Portable Executable Signature Format", as EDK2's DxeTpm2MeasureBootLib applies it), plus the
// zero bytes a signing tool would append when it pads the image to 8 bytes before adding a
// certificate table.
struct AuthenticodeLayout {
  struct Range {
    uint64_t offset;
    uint64_t size;
  };
  std::vector<Range> ranges;
  uint64_t zero_padding = 0;
};

enum class PePadding {
  kAsIs,      // the file as it is (what firmware measures when it loads this exact file)
  kSignTool,  // as sbsign/pesign pad it: an unsigned image's length rounded up to 8 with zeros
};

AuthenticodeLayout authenticode_layout(const PeImage& image, PePadding padding);

// Authenticode digests of `data` in each algorithm (one pass over the data).
std::vector<Digest> authenticode_digests(std::span<const uint8_t> data, const PeImage& image,
                                         std::span<const HashAlg> algs,
                                         PePadding padding = PePadding::kAsIs);

// What a UEFI loader places in memory for a section, as systemd-stub measures it: VirtualSize
// bytes at the section's address, i.e. the raw data (at most SizeOfRawData bytes) followed by
// zeros up to VirtualSize. Calls `sink` with consecutive pieces.
template <typename Sink>
void for_each_section_piece(std::span<const uint8_t> data, const PeSection& s, Sink&& sink);

// The raw bytes of a section (SizeOfRawData at PointerToRawData, capped at VirtualSize when
// VirtualSize is non-zero): a PE embedded in a UKI's .linux section, for instance.
std::span<const uint8_t> section_file_bytes(std::span<const uint8_t> data, const PeSection& s);
// How many zero bytes follow section_file_bytes() in memory (VirtualSize beyond raw data).
uint64_t section_zero_fill(const PeSection& s);

template <typename Sink>
void for_each_section_piece(std::span<const uint8_t> data, const PeSection& s, Sink&& sink) {
  sink(section_file_bytes(data, s));
  static const uint8_t kZeros[4096] = {};
  for (uint64_t left = section_zero_fill(s); left > 0;) {
    size_t n = left < sizeof kZeros ? static_cast<size_t>(left) : sizeof kZeros;
    sink(std::span<const uint8_t>(kZeros, n));
    left -= n;
  }
}

}  // namespace integral
