// Event types: TCG PC Client (firmware, EFI) and Intel TXT/tboot, their names, defined once here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace integral {

namespace ev {
// TCG PC Client Platform Firmware Profile, section 10.4.1.
inline constexpr uint32_t kNoAction = 0x00000003;
inline constexpr uint32_t kSeparator = 0x00000004;
inline constexpr uint32_t kAction = 0x00000005;
inline constexpr uint32_t kEventTag = 0x00000006;
inline constexpr uint32_t kSCrtmVersion = 0x00000008;
inline constexpr uint32_t kIpl = 0x0000000D;
inline constexpr uint32_t kEfiVariableDriverConfig = 0x80000001;
inline constexpr uint32_t kEfiVariableBoot = 0x80000002;
inline constexpr uint32_t kEfiBootServicesApplication = 0x80000003;
inline constexpr uint32_t kEfiBootServicesDriver = 0x80000004;
inline constexpr uint32_t kEfiRuntimeServicesDriver = 0x80000005;
inline constexpr uint32_t kEfiGptEvent = 0x80000006;
inline constexpr uint32_t kEfiAction = 0x80000007;
inline constexpr uint32_t kEfiPlatformFirmwareBlob = 0x80000008;
inline constexpr uint32_t kEfiHandoffTables = 0x80000009;
inline constexpr uint32_t kEfiPlatformFirmwareBlob2 = 0x8000000A;
inline constexpr uint32_t kEfiVariableBoot2 = 0x8000000C;
inline constexpr uint32_t kEfiHcrtmEvent = 0x80000010;
inline constexpr uint32_t kEfiVariableAuthority = 0x800000E0;

// Intel TXT (tboot include/tpm.h, Intel TXT MLE Developer's Guide appendix "Event Log").
inline constexpr uint32_t kTxtPcrMapping = 0x401;
inline constexpr uint32_t kTxtHashStart = 0x402;
inline constexpr uint32_t kTxtCombinedHash = 0x403;
inline constexpr uint32_t kTxtMleHash = 0x404;
inline constexpr uint32_t kTxtOsSinitDataCapHash = 0x40F;
// tboot's own measurements after the launch (policy, modules, NV).
inline constexpr uint32_t kTbootMeasurement = 0x501;
}  // namespace ev

// "EV_SEPARATOR", "EV_EFI_ACTION", ...; unknown types render as hex.
std::string event_type_name(uint32_t type);
// Accepts the names above, with or without the "EV_" prefix, or a number ("0x80000007").
std::optional<uint32_t> parse_event_type(std::string_view name);

// TXT event types: "HASH_START", "MLE_HASH", "TB_MEASUREMENT", ...; empty outside the TXT ranges.
std::string_view txt_event_type_name(uint32_t type);

}  // namespace integral
