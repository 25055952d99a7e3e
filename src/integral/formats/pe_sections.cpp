#include "integral/formats/pe_sections.h"

#include <fmt/format.h>

#include <algorithm>

#include "integral/formats/pe.h"
#include "integral/util/error.h"

namespace integral {

namespace {

constexpr uint64_t kSectionHeaderSize = 40;
constexpr uint32_t kScnCntCode = 0x20, kScnCntInitializedData = 0x40, kScnMemRead = 0x40000000;
constexpr uint16_t kDllNxCompat = 0x0100;

// Offsets in the COFF and optional headers (the same in PE32 and PE32+).
constexpr uint64_t kPointerToSymbolTable = 8, kNumberOfSymbols = 12;
constexpr uint64_t kSizeOfInitializedData = 8, kSectionAlignment = 32, kFileAlignment = 36,
                   kSizeOfImage = 56, kSizeOfHeaders = 60, kCheckSum = 64, kDllCharacteristics = 70;

uint64_t round_up(uint64_t v, uint64_t a) {
  return a == 0 ? v : (v + a - 1) / a * a;
}

struct Section {
  uint64_t header = 0;
  std::string name;
  uint32_t virtual_size = 0, virtual_address = 0, raw_size = 0, raw_pointer = 0,
           characteristics = 0;
  bool added = false;
};

class Writer {
 public:
  Writer(std::span<const uint8_t> stub, const std::string& file)
      : data_(stub.begin(), stub.end()), file_(file) {
    const PeImage img = parse_pe(data_, file);
    coff_ = img.coff_offset;
    opt_ = img.optional_offset;
    for (const auto& s : img.sections)
      sections_.push_back({s.header_offset, s.name, s.virtual_size, s.virtual_address,
                           s.size_of_raw_data, s.pointer_to_raw_data, 0, false});
    if (img.cert_dir_offset && load_le32(data_.data() + *img.cert_dir_offset) != 0)
      fail(*img.cert_dir_offset,
           "the stub is signed (it has a certificate table); sign the "
           "assembled image instead");
    if (sections_.empty()) fail(coff_ + 2, "the stub has no sections");
    original_ = sections_.size();
    file_alignment_ = u32(opt_ + kFileAlignment);
    section_alignment_ = u32(opt_ + kSectionAlignment);
    // PE's rules (powers of two, FileAlignment 512 to 64 KiB, no larger than SectionAlignment)
    // also keep the padding below bounded.
    auto pow2 = [](uint32_t v) { return v != 0 && (v & (v - 1)) == 0; };
    if (!pow2(file_alignment_) || file_alignment_ < 512 || file_alignment_ > 65536)
      fail(opt_ + kFileAlignment, fmt::format("FileAlignment {:#x} is not a power of two from "
                                              "512 to 64 KiB",
                                              file_alignment_));
    if (!pow2(section_alignment_) || section_alignment_ < file_alignment_)
      fail(opt_ + kSectionAlignment,
           fmt::format("SectionAlignment {:#x} is not a power of two at least FileAlignment",
                       section_alignment_));
  }

  // A symbol table at the very end of the file is dropped (images should have none; old stubs
  // were not stripped of it).
  void drop_symbol_table() {
    const uint32_t at = u32(coff_ + kPointerToSymbolTable);
    if (at == 0) return;
    uint64_t size = uint64_t{18} * u32(coff_ + kNumberOfSymbols);
    if (at + size + 4 <= data_.size()) size += u32(at + size);  // the string table after it
    if (at + size != data_.size()) return;
    data_.resize(at);
    store32(coff_ + kPointerToSymbolTable, 0);
    store32(coff_ + kNumberOfSymbols, 0);
    // ukify also means to set IMAGE_FILE_LOCAL_SYMS_STRIPPED, but pefile writes Characteristics
    // as parsed, so its UKIs keep the stub's flags: so do these.
  }

  // Raw data of every stub section starts and ends on FileAlignment (later sections move).
  void align_stub_sections() {
    for (size_t i = 0; i < sections_.size(); ++i) {
      Section& s = sections_[i];
      const uint64_t p = s.raw_pointer, n = s.raw_size;
      const uint64_t pad_front = round_up(p, file_alignment_) - p;
      const uint64_t pad_back = round_up(n, file_alignment_) - n;
      if (pad_front + pad_back == 0) continue;
      if (p + n > data_.size()) fail(s.header + 16, "section raw data beyond the file");
      data_.insert(data_.begin() + static_cast<ptrdiff_t>(p + n), pad_back, 0);
      data_.insert(data_.begin() + static_cast<ptrdiff_t>(p), pad_front, 0);
      s.raw_pointer = static_cast<uint32_t>(p + pad_front);
      s.raw_size = static_cast<uint32_t>(n + pad_back);
      for (size_t j = i + 1; j < sections_.size(); ++j)
        sections_[j].raw_pointer += static_cast<uint32_t>(pad_front + pad_back);
    }
    store32(opt_ + kSizeOfHeaders,
            static_cast<uint32_t>(round_up(u32(opt_ + kSizeOfHeaders), file_alignment_)));
  }

  void add(const PeNewSection& n) {
    const bool printable =
        std::all_of(n.name.begin(), n.name.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
    if (n.name.empty() || n.name.size() > 8 || !printable)
      throw_usage(
          fmt::format("bad PE section name '{}' (1 to 8 printable ASCII characters)", n.name));
    // Room for the header is required even when the section replaces one (as ukify does).
    const uint64_t header = sections_.back().header + kSectionHeaderSize;
    if (header + kSectionHeaderSize > u32(opt_ + kSizeOfHeaders))
      fail(header, fmt::format("no room in the headers for another section ({})", n.name));
    if (n.data.size() > UINT32_MAX) throw_usage("section " + n.name + " is larger than 4 GiB");
    const auto size = static_cast<uint32_t>(n.data.size());
    if (n.name == ".linux") drop_nx_unless_kernel_has_it(n.data);

    for (size_t i = 0; i < original_; ++i) {
      Section& s = sections_[i];
      if (s.name != n.name || n.name == ".dtbauto") continue;
      if (size > s.raw_size)
        fail(s.header + 16, fmt::format("section {} ({} bytes) does not fit in the stub's ({} "
                                        "bytes)",
                                        n.name, size, s.raw_size));
      if (i + 1 >= sections_.size())
        fail(s.header, fmt::format("section {} is the stub's last; it cannot be replaced", n.name));
      const uint64_t end = sections_[i + 1].raw_pointer;
      if (end < s.raw_pointer || end > data_.size())
        fail(sections_[i + 1].header + 20, "section raw data out of order");
      Bytes rebuilt(data_.begin(), data_.begin() + s.raw_pointer);
      rebuilt.insert(rebuilt.end(), n.data.begin(), n.data.end());
      rebuilt.insert(rebuilt.end(), s.raw_size - size, 0);
      rebuilt.insert(rebuilt.end(), data_.begin() + static_cast<ptrdiff_t>(end), data_.end());
      data_ = std::move(rebuilt);
      s.virtual_size = size;
      return;
    }

    const Section& last = sections_.back();
    Section s;
    s.header = header;
    s.name = n.name;
    s.virtual_size = size;
    s.raw_pointer = checked32(round_up(data_.size(), file_alignment_), n.name);
    s.raw_size = checked32(round_up(size, file_alignment_), n.name);
    s.virtual_address = checked32(
        round_up(uint64_t{last.virtual_address} + last.virtual_size, section_alignment_), n.name);
    s.characteristics = kScnMemRead | (n.name == ".linux" ? kScnCntCode : kScnCntInitializedData);
    s.added = true;
    data_.resize(s.raw_pointer, 0);
    data_.insert(data_.end(), n.data.begin(), n.data.end());
    data_.resize(uint64_t{s.raw_pointer} + s.raw_size, 0);
    store16(coff_ + 2, static_cast<uint16_t>(u16(coff_ + 2) + 1));
    store32(opt_ + kSizeOfInitializedData, u32(opt_ + kSizeOfInitializedData) + size);
    sections_.push_back(std::move(s));
  }

  Bytes finish() {
    for (const Section& s : sections_) {
      if (s.added) {
        std::fill_n(data_.begin() + static_cast<ptrdiff_t>(s.header), kSectionHeaderSize, 0);
        std::copy(s.name.begin(), s.name.end(), data_.begin() + static_cast<ptrdiff_t>(s.header));
        store32(s.header + 12, s.virtual_address);
        store32(s.header + 36, s.characteristics);
      }
      store32(s.header + 8, s.virtual_size);
      store32(s.header + 16, s.raw_size);
      store32(s.header + 20, s.raw_pointer);
    }
    const Section& last = sections_.back();
    store32(opt_ + kCheckSum, 0);
    store32(
        opt_ + kSizeOfImage,
        checked32(round_up(uint64_t{last.virtual_address} + last.virtual_size, section_alignment_),
                  "SizeOfImage"));
    return std::move(data_);
  }

 private:
  // The UKI may not claim NX compatibility its kernel does not have (firmware enforcing NX
  // would fail to boot it). Data that is not a PE (a test's stand-in kernel) is left alone.
  void drop_nx_unless_kernel_has_it(const Bytes& kernel) {
    try {
      const PeImage k = parse_pe(kernel, ".linux");
      if (load_le16(kernel.data() + k.optional_offset + kDllCharacteristics) & kDllNxCompat) return;
    } catch (const Error&) {
      return;
    }
    store16(opt_ + kDllCharacteristics,
            static_cast<uint16_t>(u16(opt_ + kDllCharacteristics) & ~kDllNxCompat));
  }

  uint32_t checked32(uint64_t v, const std::string& what) const {
    if (v > UINT32_MAX) throw_usage(fmt::format("{}: the image would exceed 4 GiB", what));
    return static_cast<uint32_t>(v);
  }
  uint16_t u16(uint64_t at) const { return load_le16(data_.data() + at); }
  uint32_t u32(uint64_t at) const { return load_le32(data_.data() + at); }
  void store16(uint64_t at, uint16_t v) { store_le16(data_.data() + at, v); }
  void store32(uint64_t at, uint32_t v) { store_le32(data_.data() + at, v); }
  [[noreturn]] void fail(uint64_t at, const std::string& what) const {
    throw_bad_input("PE image: " + what, file_, at);
  }

  Bytes data_;
  std::string file_;
  uint64_t coff_ = 0, opt_ = 0;
  uint32_t file_alignment_ = 0, section_alignment_ = 0;
  std::vector<Section> sections_;
  size_t original_ = 0;
};

}  // namespace

Bytes pe_add_sections(std::span<const uint8_t> stub, const std::string& file,
                      std::span<const PeNewSection> sections) {
  Writer w(stub, file);
  w.drop_symbol_table();
  w.align_stub_sections();
  for (const auto& s : sections) w.add(s);
  return w.finish();
}

}  // namespace integral
