// systemd's signed PCR policies (`.pcrsig`, what `systemd-measure sign` writes and systemd-stub
// hands to the initrd): for each bank and each boot phase, the TPM2 PolicyPCR digest of the
// predicted PCR values and a signature of it, which a LUKS2 volume or credential enrolled with
// `--tpm2-public-key` (TPM2_PolicyAuthorize) accepts.
//
//   {"sha256":[{"pcrs":[11],"pkfp":"<sha256 of the public key>","pol":"<PolicyPCR, hex>",
//               "sig":"<base64 signature of pol, hashed with the bank's algorithm>"}, ...], ...}
//
// Byte for byte as systemd-measure 252 writes it: banks in TPM algorithm order, one entry per
// phase path in sorted order without repeats, the short JSON form and a newline.
#pragma once

#include <string>
#include <vector>

#include "integral/crypto/signing_key.h"
#include "integral/predict/prediction.h"

namespace integral {

struct PcrsigOptions {
  std::vector<HashAlg> banks;       // empty: every predicted bank systemd signs for
  std::vector<std::string> phases;  // systemd-measure --phase paths; empty: its defaults
  std::vector<unsigned> pcrs{11};   // the PCRs the policy covers
};

// systemd-measure's default phase paths: enter-initrd, then each later phase after it.
std::vector<std::string> default_phase_paths();

// The .pcrsig text for `p`. The prediction's own pcrphase extends (systemd-pcrphase words from
// a uki stage's `phases`) are replaced by each requested phase path's words in turn. Errors:
// kUsage for a bank the prediction lacks or a PCR out of range.
std::string pcrsig_json(const Prediction& p, const PcrsigOptions& o, const SigningKey& key);

}  // namespace integral
