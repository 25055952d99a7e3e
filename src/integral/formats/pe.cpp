// Written by hand rather than with a library: Debian has no maintained C/C++ PE parser library
// that exposes the raw header offsets the Authenticode holes need, and the format subset is
// small.
#include "integral/formats/pe.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "integral/crypto/multi_hasher.h"
#include "integral/util/byte_reader.h"
#include "integral/util/error.h"

namespace integral {

namespace {

constexpr uint16_t kPe32Magic = 0x10b;
constexpr uint16_t kPe32PlusMagic = 0x20b;
constexpr size_t kSectionHeaderSize = 40;
constexpr uint32_t kCertDirIndex = 4;  // IMAGE_DIRECTORY_ENTRY_SECURITY

// Where the COFF header and the optional header lie, and the values read from the former.
struct CoffHeader {
  uint64_t coff = 0;  // the COFF header, after the PE signature
  uint16_t nsections = 0;
  uint16_t opt_size = 0;  // SizeOfOptionalHeader
  uint64_t opt = 0;       // the optional header
  uint32_t symbols = 0;   // PointerToSymbolTable: the COFF string table follows the symbols
  uint32_t nsymbols = 0;
};

// A long section name ("/14": offset 14 of the COFF string table, as binutils writes names of
// more than 8 bytes, shim's .vendor_cert among them). Loaders never read it; a reference that
// leads nowhere keeps the raw name.
std::string long_section_name(const ByteReader& r, const CoffHeader& c, const std::string& raw) {
  if (raw.size() < 2 || raw[0] != '/' || c.symbols == 0) return raw;
  uint64_t off = 0;
  for (char ch : std::string_view(raw).substr(1)) {
    if (ch < '0' || ch > '9') return raw;
    off = off * 10 + static_cast<uint64_t>(ch - '0');
  }
  const uint64_t at = uint64_t{c.symbols} + uint64_t{c.nsymbols} * 18 + off;
  if (at >= r.size()) return raw;
  auto rest = r.data().subspan(static_cast<size_t>(at));
  auto nul = std::find(rest.begin(), rest.end(), uint8_t{0});
  if (nul == rest.end()) return raw;
  return std::string(rest.begin(), nul);
}

CoffHeader read_coff(const ByteReader& r, PeImage& img) {
  if (r.u16(0, "DOS header") != 0x5a4d) r.fail(0, "no 'MZ' DOS signature");
  const uint64_t pe = r.u32(0x3c, "DOS header e_lfanew");
  r.need(pe, 24, "PE signature and COFF header");
  if (std::memcmp(r.bytes(pe, 4, "PE signature").data(), "PE\0\0", 4) != 0)
    r.fail(pe, "no 'PE\\0\\0' signature at e_lfanew");
  CoffHeader c;
  c.coff = pe + 4;
  img.coff_offset = c.coff;
  c.nsections = r.u16(c.coff + 2, "NumberOfSections");
  img.timestamp_offset = c.coff + 4;
  c.symbols = r.u32(c.coff + 8, "PointerToSymbolTable");
  c.nsymbols = r.u32(c.coff + 12, "NumberOfSymbols");
  c.opt_size = r.u16(c.coff + 16, "SizeOfOptionalHeader");
  c.opt = c.coff + 20;
  img.optional_offset = c.opt;
  return c;
}

// The optional header: CheckSum, SizeOfHeaders and the Certificate Table entry.
void read_optional_header(const ByteReader& r, const CoffHeader& c, PeImage& img) {
  const uint64_t opt = c.opt;
  const uint16_t magic = r.u16(opt, "optional header magic");
  uint64_t nrva_field;
  if (magic == kPe32Magic) {
    nrva_field = 92;
  } else if (magic == kPe32PlusMagic) {
    nrva_field = 108;
    img.pe32_plus = true;
  } else {
    r.fail(opt, fmt::format("optional header magic {:#x} is neither PE32 nor PE32+", magic));
  }
  const uint64_t dirs = nrva_field + 4;  // DataDirectory, relative to the optional header
  if (c.opt_size < dirs)
    r.fail(c.coff + 16, fmt::format("SizeOfOptionalHeader {} is too small for a {} header "
                                    "(needs {})",
                                    c.opt_size, img.pe32_plus ? "PE32+" : "PE32", dirs));
  r.need(opt, c.opt_size, "optional header");
  img.checksum_offset = opt + 64;
  img.size_of_headers = r.u32(opt + 60, "SizeOfHeaders");
  const uint32_t nrva = r.u32(opt + nrva_field, "NumberOfRvaAndSizes");
  if (nrva > kCertDirIndex) {
    const uint64_t entry = opt + dirs + 8 * kCertDirIndex;
    if (entry + 8 > opt + c.opt_size)
      r.fail(opt + nrva_field,
             fmt::format("NumberOfRvaAndSizes {} claims directories beyond SizeOfOptionalHeader {}",
                         nrva, c.opt_size));
    img.cert_dir_offset = entry;
    img.cert_table_offset = r.u32(entry, "certificate table entry");
    img.cert_table_size = r.u32(entry + 4, "certificate table entry");
  }

  const uint64_t hole_end =
      img.cert_dir_offset ? *img.cert_dir_offset + 8 : img.checksum_offset + 4;
  if (img.size_of_headers < hole_end || img.size_of_headers > img.file_size)
    r.fail(opt + 60, fmt::format("SizeOfHeaders {} must lie between {} and the file size {}",
                                 img.size_of_headers, hole_end, img.file_size));
}

// The section table after the optional header; each section's raw data must lie in the file.
void read_sections(const ByteReader& r, const CoffHeader& c, PeImage& img) {
  const uint64_t table = c.opt + c.opt_size, size = img.file_size;
  img.section_table_offset = table;
  r.need(table, uint64_t{c.nsections} * kSectionHeaderSize, "section table");
  img.sections.reserve(c.nsections);
  for (uint16_t i = 0; i < c.nsections; ++i) {
    const uint64_t h = table + uint64_t{i} * kSectionHeaderSize;
    PeSection s;
    const char* name = reinterpret_cast<const char*>(r.bytes(h, 8, "section name").data());
    s.name = long_section_name(r, c, std::string(name, strnlen(name, 8)));
    s.virtual_size = r.u32(h + 8, "VirtualSize");
    s.virtual_address = r.u32(h + 12, "VirtualAddress");
    s.size_of_raw_data = r.u32(h + 16, "SizeOfRawData");
    s.pointer_to_raw_data = r.u32(h + 20, "PointerToRawData");
    s.header_offset = h;
    if (s.size_of_raw_data > 0 &&
        (s.pointer_to_raw_data > size || s.size_of_raw_data > size - s.pointer_to_raw_data))
      r.fail(h + 16, fmt::format("section {} '{}': raw data [{}, +{}) lies beyond the end of the "
                                 "file ({} bytes)",
                                 i, s.name, s.pointer_to_raw_data, s.size_of_raw_data, size));
    img.sections.push_back(std::move(s));
  }
}

}  // namespace

const PeSection* PeImage::section(std::string_view name) const {
  for (const auto& s : sections)
    if (s.name == name) return &s;
  return nullptr;
}

PeImage parse_pe(std::span<const uint8_t> data, const std::string& file) {
  ByteReader r(data, file);
  r.set_context("PE image");
  PeImage img;
  img.file = file;
  img.file_size = data.size();
  const CoffHeader c = read_coff(r, img);
  read_optional_header(r, c, img);
  read_sections(r, c, img);
  if (img.cert_table_size > 0) {
    if (img.cert_table_offset > data.size() ||
        img.cert_table_size > data.size() - img.cert_table_offset ||
        img.cert_table_offset < img.size_of_headers)
      r.fail(*img.cert_dir_offset,
             fmt::format("certificate table [{}, +{}) lies outside the file body (headers end "
                         "at {}, file size {})",
                         img.cert_table_offset, img.cert_table_size, img.size_of_headers,
                         data.size()));
  }
  return img;
}

AuthenticodeLayout authenticode_layout(const PeImage& img, PePadding padding) {
  AuthenticodeLayout l;
  auto add = [&](uint64_t from, uint64_t to) {
    if (to > from) l.ranges.push_back({from, to - from});
  };
  // Headers, minus the CheckSum and the Certificate Table entry.
  add(0, img.checksum_offset);
  if (img.cert_dir_offset) {
    add(img.checksum_offset + 4, *img.cert_dir_offset);
    add(*img.cert_dir_offset + 8, img.size_of_headers);
  } else {
    add(img.checksum_offset + 4, img.size_of_headers);
  }
  // Sections in file order (by PointerToRawData), empty ones skipped.
  std::vector<const PeSection*> order;
  for (const auto& s : img.sections)
    if (s.size_of_raw_data > 0) order.push_back(&s);
  std::stable_sort(order.begin(), order.end(), [](const PeSection* a, const PeSection* b) {
    return a->pointer_to_raw_data < b->pointer_to_raw_data;
  });
  uint64_t hashed = img.size_of_headers;
  for (const PeSection* s : order) {
    l.ranges.push_back({s->pointer_to_raw_data, s->size_of_raw_data});
    hashed += s->size_of_raw_data;
  }
  // Data after the sections (debug data, padding), except the certificate table at the end.
  // Like EDK2, the trailing part starts at "bytes hashed so far", which is its offset in any
  // image whose sections follow each other.
  uint64_t body_end = img.file_size - img.cert_table_size;
  if (body_end > hashed) l.ranges.push_back({hashed, body_end - hashed});
  if (padding == PePadding::kSignTool && img.cert_table_size == 0 && img.file_size % 8 != 0)
    l.zero_padding = 8 - img.file_size % 8;
  return l;
}

std::vector<Digest> authenticode_digests(std::span<const uint8_t> data, const PeImage& img,
                                         std::span<const HashAlg> algs, PePadding padding) {
  if (data.size() != img.file_size)
    throw std::invalid_argument("authenticode_digests: data is not the parsed image");
  MultiHasher h(algs);
  const auto layout = authenticode_layout(img, padding);
  for (const auto& r : layout.ranges) {
    if (r.offset > data.size() || r.size > data.size() - r.offset)
      throw_bad_input("PE image: Authenticode range lies beyond the end of the file", img.file,
                      r.offset);
    h.update(data.subspan(r.offset, r.size));
  }
  const uint8_t zeros[8] = {};
  if (layout.zero_padding) h.update(std::span<const uint8_t>(zeros, layout.zero_padding));
  return h.finish();
}

std::span<const uint8_t> section_file_bytes(std::span<const uint8_t> data, const PeSection& s) {
  uint32_t n = std::min(s.virtual_size, s.size_of_raw_data);
  if (n == 0) return {};
  return data.subspan(s.pointer_to_raw_data, n);  // bounds checked by parse_pe
}

uint64_t section_zero_fill(const PeSection& s) {
  return s.virtual_size > s.size_of_raw_data ? s.virtual_size - s.size_of_raw_data : 0;
}

}  // namespace integral
