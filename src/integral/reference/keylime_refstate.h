// keylime's measured-boot reference state (mb_refstate, "measured-boot policy"), made from a
// prediction instead of a golden machine's event log: the same fields keylime-policy's
// `create measured-boot` takes from a log (keylime/policy/create_mb_policy.py), by the same
// rules, applied to the predicted events, so keylime's example measured-boot policy
// (keylime/mba/elchecking/example.py) accepts the machine's first boot.
//   has_secureboot          the SecureBoot variable event's value
//   scrtm_and_bios          EV_S_CRTM_VERSION and EV_EFI_PLATFORM_FIRMWARE_BLOB(2) SHA-256 digests
//   pk, kek, db, dbx        every signature of those variables' events: owner GUID, data as 0x hex
//   vendor_db               signatures of "vendor_db" authority events
//   mokdig, mokxdig         the "MokList" and "MokListX" EV_IPL digests
//   kernels                 the PCR 4 applications (shim, GRUB, and with Secure Boot the kernel),
//                           the first PCR 9 initrd file, the kernel command line as a regular
//                           expression (Python's re.escape), and without Secure Boot the
//                           kernel file's digest
#pragma once

#include <string>

#include "integral/predict/prediction.h"

namespace integral {

// The reference state as keylime writes it (Python's json.dumps). Throws Error(kBadInput) when
// the boot is not one keylime's policy describes: no SHA-256 bank, or PCR 4 does not hold shim,
// GRUB (and, with Secure Boot, the kernel).
std::string keylime_mb_refstate(const Prediction& p);

}  // namespace integral
