#include "integral/tpm/pcr_set.h"

#include <stdexcept>
#include <string>

namespace integral {

Digest pcr_reset_value(HashAlg alg, unsigned pcr, uint8_t startup_locality) {
  if (pcr >= 17 && pcr <= 22) return Digest::filled(alg, 0xFF);
  if (pcr == 0 && startup_locality != 0) {
    std::array<uint8_t, kMaxDigestSize> buf{};
    buf[digest_size(alg) - 1] = startup_locality;
    return Digest(alg, std::span(buf.data(), digest_size(alg)));
  }
  return Digest::zero(alg);
}

Digest pcr_extend(const Digest& old, const Digest& value) {
  if (old.alg() != value.alg()) throw std::invalid_argument("extend across banks");
  Hasher h(old.alg());
  h.update(old.bytes());
  h.update(value.bytes());
  return h.finish();
}

PcrSet::PcrSet(std::vector<HashAlg> banks, uint8_t startup_locality) : banks_(std::move(banks)) {
  values_.resize(banks_.size());
  for (size_t b = 0; b < banks_.size(); ++b)
    for (unsigned p = 0; p < kPcrCount; ++p)
      values_[b][p] = pcr_reset_value(banks_[b], p, startup_locality);
}

bool PcrSet::has_bank(HashAlg alg) const {
  for (HashAlg b : banks_)
    if (b == alg) return true;
  return false;
}

size_t PcrSet::bank_index(HashAlg alg) const {
  for (size_t i = 0; i < banks_.size(); ++i)
    if (banks_[i] == alg) return i;
  throw std::out_of_range("no " + std::string(hash_alg_name(alg)) + " bank");
}

const Digest& PcrSet::get(HashAlg alg, unsigned pcr) const {
  if (pcr >= kPcrCount) throw std::out_of_range("PCR index " + std::to_string(pcr));
  return values_[bank_index(alg)][pcr];
}

void PcrSet::set(unsigned pcr, const Digest& value) {
  if (pcr >= kPcrCount) throw std::out_of_range("PCR index " + std::to_string(pcr));
  values_[bank_index(value.alg())][pcr] = value;
}

void PcrSet::extend(unsigned pcr, const Digest& value) {
  if (pcr >= kPcrCount) throw std::out_of_range("PCR index " + std::to_string(pcr));
  Digest& slot = values_[bank_index(value.alg())][pcr];
  slot = pcr_extend(slot, value);
}

void PcrSet::dynamic_launch_reset() {
  for (size_t b = 0; b < banks_.size(); ++b)
    for (unsigned p = 17; p <= 22; ++p) values_[b][p] = Digest::zero(banks_[b]);
}

const Digest* PcrValues::find(HashAlg alg, unsigned pcr) const {
  for (const auto& [a, m] : banks) {
    if (a != alg) continue;
    auto it = m.find(pcr);
    return it == m.end() ? nullptr : &it->second;
  }
  return nullptr;
}

}  // namespace integral
