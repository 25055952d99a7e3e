// Recomputes event digests from event data where the rule is known (event data is untrusted:
// only the digests are bound by the TPM, so a verifier checks the data against them before
// trusting it, as tpm2_eventlog's verify_digests does). Named quirk rules accept what real
// firmware and boot loaders hash instead; they are off unless asked for, and a digest they
// explain is reported as such.
#pragma once

#include <string>
#include <vector>

#include "integral/chain/event.h"

namespace integral {

struct DigestFinding {
  size_t index;  // event index in the chain
  HashAlg alg;
  std::string rule;      // what the digest should cover, e.g. "H(event data)"
  std::string logged;    // hex
  std::string computed;  // hex, under the standard rule
  std::string quirk;     // the enabled quirk that explains it ("" = none does)
};

struct DigestCheckReport {
  size_t checked = 0;                     // digests recomputed
  std::vector<DigestFinding> mismatches;  // explained by no enabled quirk
  std::vector<DigestFinding> by_quirk;    // match only under an enabled quirk
  bool ok() const { return mismatches.empty(); }
  std::vector<std::string> quirks_needed() const;  // distinct, in order of first use
};

// The quirks this check knows: "shim-authority-size", "grub-nul", "wbcl-separator".
bool is_digest_quirk(std::string_view name);

// Checks every event whose rule is known: EV_SEPARATOR (00000000 or FFFFFFFF), EV_ACTION,
// EV_EFI_ACTION, EV_S_CRTM_VERSION, EV_EFI_GPT_EVENT, EV_EFI_VARIABLE_DRIVER_CONFIG and
// EV_EFI_VARIABLE_AUTHORITY (H(event data)), and grub's PCR 8 EV_IPL commands ("grub_cmd: X",
// "kernel_cmdline: X": H(X)). Other events (PE images, firmware blobs, boot variables whose
// rule differs between firmware) are not checkable from the log alone.
DigestCheckReport check_event_digests(const Chain& chain, const std::vector<std::string>& quirks);

}  // namespace integral
