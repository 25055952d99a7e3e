// TCG event types (TCG PC Client Platform Firmware Profile, section 10.4.1) and their names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace integral {

namespace ev {
inline constexpr uint32_t kNoAction = 0x00000003;
inline constexpr uint32_t kSeparator = 0x00000004;
inline constexpr uint32_t kAction = 0x00000005;
inline constexpr uint32_t kEventTag = 0x00000006;
inline constexpr uint32_t kSCrtmVersion = 0x00000008;
inline constexpr uint32_t kIpl = 0x0000000D;
inline constexpr uint32_t kEfiBootServicesApplication = 0x80000003;
inline constexpr uint32_t kEfiAction = 0x80000007;
}  // namespace ev

// "EV_SEPARATOR", "EV_EFI_ACTION", ...; unknown types render as hex.
std::string event_type_name(uint32_t type);
// Accepts the names above, with or without the "EV_" prefix, or a number ("0x80000007").
std::optional<uint32_t> parse_event_type(std::string_view name);

}  // namespace integral
