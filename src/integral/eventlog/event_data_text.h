// Decoding of TCG event payloads for display: UEFI variables, image-load events with device
// paths, GPT, tagged events, action and IPL strings, S-CRTM versions, Spec ID and
// StartupLocality. Event data is untrusted and unauthenticated (only digests are bound by the
// TPM), so decoding never throws: what does not parse is shown as its size.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace integral {

// One line for people, e.g. "SecureBoot (8be4df61-...) = 01" or "Exit Boot Services Invocation".
std::string describe_event(uint32_t type, std::span<const uint8_t> data);

// EFI_GUID in registry form: the first three fields little-endian.
std::string format_guid(std::span<const uint8_t> guid16);
// UTF-16LE to UTF-8; stops at the first NUL when `stop_at_nul`; lone surrogates become U+FFFD.
std::string utf16le_to_utf8(std::span<const uint8_t> data, bool stop_at_nul = true);
// Text form of an EFI device path (common node types; others as Path(type,subtype,hex)).
std::string describe_device_path(std::span<const uint8_t> data);

// UEFI_VARIABLE_DATA: VariableName GUID, UnicodeNameLength, VariableDataLength, name, data.
struct UefiVariable {
  std::string guid;
  uint64_t name_length = 0;  // in UTF-16 characters
  uint64_t data_length = 0;
  std::string name;
  std::span<const uint8_t> data;  // view into the event data
};
std::optional<UefiVariable> parse_uefi_variable(std::span<const uint8_t> data);

// UEFI_IMAGE_LOAD_EVENT.
struct ImageLoad {
  uint64_t location = 0, length = 0, link_address = 0, device_path_length = 0;
  std::span<const uint8_t> device_path;
};
std::optional<ImageLoad> parse_image_load(std::span<const uint8_t> data);

// Printable ASCII text (trailing NULs dropped), or nullopt when the bytes are not text.
std::optional<std::string> as_text(std::span<const uint8_t> data);

}  // namespace integral
