// PCR banks with a TPM's reset values, and extend.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "integral/crypto/digest.h"

namespace integral {

inline constexpr unsigned kPcrCount = 24;

// TPM 2.0 PC Client reset values: all-zero for PCRs 0-16 and 23; all-ones for the D-RTM PCRs
// 17-22 until a dynamic launch resets them to zero; PCR 0 ends in the locality byte when the
// platform started the TPM from locality 3 or 4 (TCG "StartupLocality" event).
Digest pcr_reset_value(HashAlg alg, unsigned pcr, uint8_t startup_locality = 0);

// new = H(old || value); value must be of the same algorithm as the PCR.
Digest pcr_extend(const Digest& old, const Digest& value);

class PcrSet {
 public:
  explicit PcrSet(std::vector<HashAlg> banks, uint8_t startup_locality = 0);

  const std::vector<HashAlg>& banks() const { return banks_; }
  bool has_bank(HashAlg alg) const;
  const Digest& get(HashAlg alg, unsigned pcr) const;
  void set(unsigned pcr, const Digest& value);
  // Extends the PCR in the bank of value.alg(); throws std::out_of_range for a missing bank.
  void extend(unsigned pcr, const Digest& value);
  // Intel TXT / AMD SKINIT: PCRs 17-22 become zero in every bank.
  void dynamic_launch_reset();

 private:
  size_t bank_index(HashAlg alg) const;
  std::vector<HashAlg> banks_;
  std::vector<std::array<Digest, kPcrCount>> values_;
};

// PCR values observed (read from a TPM, or stored with a log): banks in file order, PCRs ascending.
struct PcrValues {
  std::vector<std::pair<HashAlg, std::map<unsigned, Digest>>> banks;
  const Digest* find(HashAlg alg, unsigned pcr) const;
};

}  // namespace integral
