// PCR selections in tpm2-tools syntax: "sha1:0,1,2+sha256:16", "sha256:all".
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "integral/crypto/hash_alg.h"
#include "integral/tpm/pcr_set.h"

namespace integral {

struct BankSelection {
  HashAlg alg;
  std::bitset<kPcrCount> pcrs;
};

class PcrSelection {
 public:
  PcrSelection() = default;
  // Throws Error(kUsage) naming the offending part. A bank named twice is merged into its
  // first position; PCR lists accept decimal, 0x-hex, "a-b" ranges and "all".
  static PcrSelection parse(std::string_view text);

  const std::vector<BankSelection>& banks() const { return banks_; }
  void add(HashAlg alg, unsigned pcr);
  bool empty() const;
  bool contains(HashAlg alg, unsigned pcr) const;
  // Canonical tpm2-tools text, banks in selection order, PCRs ascending.
  std::string to_string() const;
  // TPML_PCR_SELECTION as the TPM marshals it: count, then {hash, sizeofSelect=3, bitmap}.
  std::vector<uint8_t> marshal() const;

 private:
  std::vector<BankSelection> banks_;
};

}  // namespace integral
