#include "integral/eventlog/event_data_text.h"

#include <fmt/format.h>

#include <cstring>

#include "integral/chain/event_type.h"
#include "integral/util/bytes.h"
#include "integral/util/hex.h"

namespace integral {

namespace {

constexpr size_t kMaxDescription = 240;

std::string clip(std::string s) {
  if (s.size() > kMaxDescription) {
    // Cut before a UTF-8 continuation byte, not inside a character (a name decoded from UTF-16
    // must stay valid UTF-8).
    size_t n = kMaxDescription;
    while (n > kMaxDescription - 3 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
    s.resize(n);
    s += "...";
  }
  return s;
}

std::string short_hex(std::span<const uint8_t> data, size_t max = 32) {
  std::string h = to_hex(data.first(std::min(data.size(), max)));
  if (data.size() > max) h += "...";
  return h;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Text that is UTF-16LE (every odd byte zero over the first characters), e.g. S-CRTM versions.
bool looks_utf16(std::span<const uint8_t> data) {
  if (data.size() < 2 || data.size() % 2) return false;
  for (size_t i = 0; i + 1 < data.size(); i += 2) {
    if (data[i] == 0 && data[i + 1] == 0) return i > 0;
    if (data[i + 1] != 0 || data[i] < 0x20 || data[i] > 0x7e) return false;
  }
  return true;
}

std::string device_path_node(uint8_t type, uint8_t sub, std::span<const uint8_t> b) {
  const uint8_t* p = b.data();
  size_t n = b.size();
  switch (type) {
    case 0x01:
      if (sub == 0x01 && n >= 2) return fmt::format("Pci({:#x},{:#x})", p[1], p[0]);
      if (sub == 0x04 && n >= 16) return "VenHw(" + format_guid(b.first(16)) + ")";
      break;
    case 0x02:
      if (sub == 0x01 && n >= 8) {
        uint32_t hid = load_le32(p), uid = load_le32(p + 4);
        if (hid == 0x0a0341d0 || hid == 0x0a0841d0) return fmt::format("PciRoot({:#x})", uid);
        return fmt::format("Acpi({:#x},{:#x})", hid, uid);
      }
      break;
    case 0x03:
      if (sub == 0x02 && n >= 4)
        return fmt::format("Scsi({:#x},{:#x})", load_le16(p), load_le16(p + 2));
      if (sub == 0x05 && n >= 2) return fmt::format("USB({:#x},{:#x})", p[0], p[1]);
      if (sub == 0x0b && n >= 6) return "MAC(" + to_hex(b.first(6)) + ")";
      if (sub == 0x0c && n >= 8)
        return fmt::format("IPv4({}.{}.{}.{},{}.{}.{}.{})", p[4], p[5], p[6], p[7], p[0], p[1],
                           p[2], p[3]);
      if (sub == 0x12 && n >= 6)
        return fmt::format("Sata({:#x},{:#x},{:#x})", load_le16(p), load_le16(p + 2),
                           load_le16(p + 4));
      if (sub == 0x17 && n >= 12)
        return fmt::format("NVMe({:#x},{})", load_le32(p), to_hex(b.subspan(4, 8)));
      if (sub == 0x0a && n >= 16) return "VenMsg(" + format_guid(b.first(16)) + ")";
      if (sub == 0x18) return "Uri(" + std::string(b.begin(), b.end()) + ")";
      break;
    case 0x04:
      if (sub == 0x01 && n >= 38) {
        uint32_t part = load_le32(p);
        uint64_t start = load_le64(p + 4), size = load_le64(p + 12);
        std::string sig = p[37] == 2   ? format_guid(b.subspan(20, 16))
                          : p[37] == 1 ? fmt::format("{:#010x}", load_le32(p + 20))
                                       : std::string("0");
        return fmt::format("HD({},{},{},{:#x},{:#x})", part,
                           p[36] == 2   ? "GPT"
                           : p[36] == 1 ? "MBR"
                                        : "?",
                           sig, start, size);
      }
      if (sub == 0x02 && n >= 4) return fmt::format("CDROM({:#x})", load_le32(p));
      if (sub == 0x03 && n >= 16) return "VenMedia(" + format_guid(b.first(16)) + ")";
      if (sub == 0x04) return utf16le_to_utf8(b);
      if (sub == 0x06 && n >= 16) return "FvFile(" + format_guid(b.first(16)) + ")";
      if (sub == 0x07 && n >= 16) return "Fv(" + format_guid(b.first(16)) + ")";
      if (sub == 0x08 && n >= 20)
        return fmt::format("Offset({:#x},{:#x})", load_le64(p + 4), load_le64(p + 12));
      break;
    case 0x05:
      if (sub == 0x01 && n >= 4) return fmt::format("BBS({:#x})", load_le16(p));
      break;
    default:
      break;
  }
  return fmt::format("Path({},{},{})", type, sub, short_hex(b));
}

std::string describe_variable(uint32_t type, std::span<const uint8_t> data) {
  auto v = parse_uefi_variable(data);
  if (!v) return fmt::format("{} bytes (not a UEFI_VARIABLE_DATA)", data.size());
  std::string out = v->name;
  if (type == ev::kEfiVariableAuthority || v->data.size() > 32) {
    out += fmt::format(" ({} bytes)", v->data.size());
  } else if (!v->data.empty()) {
    out += " = " + to_hex(v->data);
  }
  // Boot#### holds an EFI_LOAD_OPTION: attributes, path length, description, device path.
  if (v->name.size() == 8 && v->name.starts_with("Boot") && v->data.size() >= 6 &&
      v->name != "BootNext") {
    std::span<const uint8_t> d = v->data;
    uint16_t path_len = load_le16(d.data() + 4);
    size_t desc_end = 6;
    while (desc_end + 1 < d.size() && (d[desc_end] || d[desc_end + 1])) desc_end += 2;
    out = v->name + ": " + utf16le_to_utf8(d.subspan(6, desc_end - 6));
    size_t path_at = desc_end + 2;
    if (path_at <= d.size() && path_len <= d.size() - path_at) {
      out += ' ';  // two steps: see the separator case
      out += describe_device_path(d.subspan(path_at, path_len));
    }
  }
  return out;
}

std::string describe_tag(std::span<const uint8_t> data) {
  if (data.size() < 8) return fmt::format("{} bytes", data.size());
  uint32_t id = load_le32(data.data()), size = load_le32(data.data() + 4);
  std::string out = fmt::format("tag {:#010x}", id);
  switch (id) {
    case 0x8F3B22EC:
      out += " (Linux initrd)";
      break;
    case 0x8F3B22ED:
      out += " (Linux LoadOptions)";
      break;
    case 0xf5bc582a:
      out += " (systemd-boot loader.conf)";
      break;
    case 0x6c46f751:
      out += " (systemd devicetree add-on)";
      break;
    case 0x49dffe0f:
      out += " (systemd initrd add-on)";
      break;
    case 0xdac08e1a:
      out += " (systemd ucode add-on)";
      break;
    case 0xd5cb7cbc:
      out += " (SMBIOS type 1)";
      break;
    case 0xe0d47bc8:
      out += " (SMBIOS type 2)";
      break;
    case 0xc0b3bd23:
      out += " (SMBIOS type 11)";
      break;
    default:
      break;
  }
  std::span<const uint8_t> body = data.subspan(8, std::min<size_t>(size, data.size() - 8));
  if (auto t = as_text(body)) {
    out += ": " + *t;
  } else if (looks_utf16(body)) {
    out += ": " + utf16le_to_utf8(body);
  }
  return out;
}

std::string describe_text_or_size(std::span<const uint8_t> data) {
  if (auto t = as_text(data)) return *t;
  if (looks_utf16(data)) return utf16le_to_utf8(data);
  return fmt::format("{} bytes", data.size());
}

}  // namespace

std::string format_guid(std::span<const uint8_t> g) {
  if (g.size() < 16) return "?";
  return fmt::format("{:08x}-{:04x}-{:04x}-{}-{}", load_le32(g.data()), load_le16(g.data() + 4),
                     load_le16(g.data() + 6), to_hex(g.subspan(8, 2)), to_hex(g.subspan(10, 6)));
}

std::string utf16le_to_utf8(std::span<const uint8_t> data, bool stop_at_nul) {
  std::string out;
  for (size_t i = 0; i + 1 < data.size(); i += 2) {
    uint32_t u = load_le16(data.data() + i);
    if (u == 0 && stop_at_nul) break;
    if (u >= 0xD800 && u < 0xDC00 && i + 3 < data.size()) {
      uint32_t lo = load_le16(data.data() + i + 2);
      if (lo >= 0xDC00 && lo < 0xE000) {
        append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        i += 2;
        continue;
      }
    }
    append_utf8(out, (u >= 0xD800 && u < 0xE000) ? 0xFFFD : u);
  }
  return out;
}

std::string describe_device_path(std::span<const uint8_t> data) {
  std::string out;
  size_t pos = 0;
  while (pos + 4 <= data.size()) {
    uint8_t type = data[pos], sub = data[pos + 1];
    uint16_t len = load_le16(data.data() + pos + 2);
    if (len < 4 || len > data.size() - pos) {
      out += (out.empty() ? "" : "/") + std::string("(malformed device path)");
      break;
    }
    if (type == 0x7f) {
      if (sub == 0xff) break;
      out += ",";
    } else {
      if (!out.empty() && out.back() != ',') out += "/";
      out += device_path_node(type, sub, data.subspan(pos + 4, len - 4));
    }
    pos += len;
  }
  return out;
}

std::optional<UefiVariable> parse_uefi_variable(std::span<const uint8_t> data) {
  if (data.size() < 32) return std::nullopt;
  UefiVariable v;
  v.guid = format_guid(data.first(16));
  v.name_length = load_le64(data.data() + 16);
  v.data_length = load_le64(data.data() + 24);
  size_t rest = data.size() - 32;
  if (v.name_length > rest / 2) return std::nullopt;
  size_t name_bytes = static_cast<size_t>(v.name_length) * 2;
  v.name = utf16le_to_utf8(data.subspan(32, name_bytes));
  // Some firmware log fewer data bytes than VariableDataLength claims: show what is there.
  size_t avail = rest - name_bytes;
  v.data = data.subspan(32 + name_bytes, std::min<uint64_t>(v.data_length, avail));
  return v;
}

std::optional<ImageLoad> parse_image_load(std::span<const uint8_t> data) {
  if (data.size() < 32) return std::nullopt;
  ImageLoad l;
  l.location = load_le64(data.data());
  l.length = load_le64(data.data() + 8);
  l.link_address = load_le64(data.data() + 16);
  l.device_path_length = load_le64(data.data() + 24);
  size_t avail = data.size() - 32;
  l.device_path = data.subspan(32, std::min<uint64_t>(l.device_path_length, avail));
  return l;
}

std::optional<std::string> as_text(std::span<const uint8_t> data) {
  size_t n = data.size();
  while (n > 0 && data[n - 1] == 0) --n;
  if (n == 0) return std::nullopt;
  for (size_t i = 0; i < n; ++i) {
    uint8_t c = data[i];
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c > 0x7e) return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(data.data()), n);
}

namespace {

// The description of event data that is not of its type's form.
std::string byte_count(std::span<const uint8_t> data) {
  return fmt::format("{} bytes", data.size());
}

// The first 16 bytes up to a NUL: an EV_NO_ACTION signature such as "Spec ID Event03".
std::string signature16(std::span<const uint8_t> data) {
  const char* p = reinterpret_cast<const char*>(data.data());
  return std::string(p, strnlen(p, 16));
}

std::string describe_no_action(std::span<const uint8_t> data) {
  if (data.size() >= 16 && std::memcmp(data.data(), "Spec ID Event", 13) == 0)
    return signature16(data);
  if (data.size() >= 17 && std::memcmp(data.data(), "StartupLocality", 16) == 0)
    return fmt::format("StartupLocality {}", data[16]);
  if (data.size() < 16) return byte_count(data);
  std::string out = signature16(data);
  if (!as_text(data.first(out.size()))) out = byte_count(data);
  return out;
}

std::string describe_separator(std::span<const uint8_t> data) {
  // fmt rather than "..." + string&&: GCC 12 at -O3 warns falsely (-Wrestrict) on that.
  return as_text(data) ? fmt::format("separator \"{}\"", *as_text(data))
                       : "separator " + to_hex(data);
}

std::string describe_image(std::span<const uint8_t> data) {
  auto l = parse_image_load(data);
  if (!l) return byte_count(data);
  std::string out = describe_device_path(l->device_path);
  if (out.empty()) out = fmt::format("image at {:#x}, {} bytes", l->location, l->length);
  return out;
}

std::string describe_gpt(std::span<const uint8_t> data) {  // header (92 bytes), u64 count, entries
  if (data.size() < 100) return byte_count(data);
  return fmt::format("GPT disk {}, {} partition(s)", format_guid(data.subspan(56, 16)),
                     load_le64(data.data() + 92));
}

std::string describe_blob(std::span<const uint8_t> data) {  // base, length
  if (data.size() != 16) return byte_count(data);
  return fmt::format("blob at {:#x}, {:#x} bytes", load_le64(data.data()),
                     load_le64(data.data() + 8));
}

std::string describe_blob2(std::span<const uint8_t> data) {  // u8 size, description, base, length
  if (data.empty() || data.size() < 1u + data[0] + 16u) return byte_count(data);
  size_t n = data[0];
  return fmt::format("{}: blob at {:#x}, {:#x} bytes", describe_text_or_size(data.subspan(1, n)),
                     load_le64(data.data() + 1 + n), load_le64(data.data() + 9 + n));
}

std::string describe_handoff_tables(std::span<const uint8_t> data) {  // u64 count, GUID+pointer
  if (data.size() < 8) return byte_count(data);
  uint64_t n = load_le64(data.data());
  std::string out = fmt::format("{} configuration table(s)", n);
  if (n >= 1 && data.size() >= 32) out += ": " + format_guid(data.subspan(8, 16));
  return out;
}

std::string describe_post_code(std::span<const uint8_t> data) {  // a string, or a blob
  if (auto t = as_text(data)) return *t;
  return describe_blob(data);
}

// The description by the event's type (before it is made one line and clipped).
std::string describe_by_type(uint32_t type, std::span<const uint8_t> data) {
  switch (type) {
    case ev::kNoAction:
      return describe_no_action(data);
    case ev::kSeparator:
      return describe_separator(data);
    case ev::kEfiVariableDriverConfig:
    case ev::kEfiVariableBoot:
    case ev::kEfiVariableBoot2:
    case ev::kEfiVariableAuthority:
      return describe_variable(type, data);
    case ev::kEfiBootServicesApplication:
    case ev::kEfiBootServicesDriver:
    case ev::kEfiRuntimeServicesDriver:
      return describe_image(data);
    case ev::kEfiGptEvent:
      return describe_gpt(data);
    case ev::kEfiPlatformFirmwareBlob:
      return describe_blob(data);
    case ev::kEfiPlatformFirmwareBlob2:
      return describe_blob2(data);
    case ev::kEfiHandoffTables:
      return describe_handoff_tables(data);
    case 0x01:  // EV_POST_CODE
      return describe_post_code(data);
    case ev::kEventTag:
      return describe_tag(data);
    default:
      return describe_text_or_size(data);
  }
}

}  // namespace

std::string describe_event(uint32_t type, std::span<const uint8_t> data) {
  std::string out = describe_by_type(type, data);
  // One line: newlines in untrusted text would forge report lines.
  for (char& c : out)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return clip(std::move(out));
}

}  // namespace integral
