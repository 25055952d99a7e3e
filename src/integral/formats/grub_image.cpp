#include "integral/formats/grub_image.h"

#include <fmt/format.h>

#include <cstring>

#include "integral/formats/pe.h"
#include "integral/util/byte_reader.h"
#include "integral/util/error.h"

namespace integral {

namespace {

// grub_module_info64 (include/grub/kernel.h): magic "mimg", padding, then the offset of the
// first module header and the size of the whole area, both from the area's start.
constexpr uint32_t kModuleMagic = 0x676d696d;
constexpr uint64_t kInfoSize = 24;
// grub_module_header: UINT32 type, UINT32 size (header included).
enum : uint32_t { kObjElf = 0, kObjMemdisk = 1, kObjConfig = 2, kObjPrefix = 3 };

// Text modules are NUL-terminated inside their (aligned) size.
std::string module_text(std::span<const uint8_t> b) {
  const char* p = reinterpret_cast<const char*>(b.data());
  return std::string(p, strnlen(p, b.size()));
}

}  // namespace

GrubImage parse_grub_image(std::span<const uint8_t> image, const std::string& file) {
  const PeImage pe = parse_pe(image, file);
  const PeSection* mods = pe.section("mods");
  if (!mods) throw_bad_input("GRUB image: no 'mods' section: not a GRUB core image", file);
  ByteReader r(section_file_bytes(image, *mods), file, mods->pointer_to_raw_data);
  r.set_context("GRUB modules");
  if (r.u32(0, "magic") != kModuleMagic) r.fail(0, "no 'mimg' module-info magic");
  const uint64_t first = r.u64(8, "modules offset");
  const uint64_t size = r.u64(16, "modules size");
  if (size > r.size() || first < kInfoSize || first > size)
    r.fail(8, fmt::format("modules [{}, {}) do not fit the section ({} bytes)", first, size,
                          r.size()));
  GrubImage out;
  for (uint64_t at = first; at < size;) {
    r.need(at, 8, "module header");
    const uint32_t type = r.u32(at, "module type");
    const uint32_t len = r.u32(at + 4, "module size");
    if (len < 8 || len > size - at)
      r.fail(at + 4, fmt::format("module size {} does not fit the modules area", len));
    auto body = r.bytes(at + 8, len - 8, "module");
    switch (type) {
      case kObjElf:
        ++out.modules;
        break;
      case kObjMemdisk:
        out.memdisk = body;
        break;
      case kObjConfig:
        out.config = module_text(body);
        break;
      case kObjPrefix:
        out.prefix = module_text(body);
        break;
      default:
        break;  // public keys, SBAT, disabled modules: not needed here
    }
    at += len;
  }
  return out;
}

}  // namespace integral
