#include "integral/eventlog/ima_replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bitset>

#include "integral/crypto/quick_hash.h"
#include "integral/util/bytes.h"
#include "integral/util/error.h"
#include "integral/util/hex.h"

namespace integral {

namespace {

constexpr size_t kSha1Size = 20;

}  // namespace

namespace {

// One bank's replay state: the PCR values as raw bytes, extended in place.
struct BankState {
  HashAlg alg;
  QuickHasher hasher;
  size_t size;
  bool padded;
  std::array<std::array<uint8_t, kMaxDigestSize>, kPcrCount> pcr{};
};

std::string record_name(const ImaRecord& r) {
  // The name field as ImaReader::next decodes it (only for mismatch reports).
  if (r.template_name == "ima") {
    auto nm = r.template_data.subspan(std::min<size_t>(kSha1Size, r.template_data.size()));
    return std::string(nm.begin(), std::find(nm.begin(), nm.end(), uint8_t{0}));
  }
  auto d = r.template_data;
  if (d.size() < 4) return {};
  uint32_t l0 = load_le32(d.data());
  if (l0 > d.size() - 4 || d.size() - 4 - l0 < 4) return {};
  auto rest = d.subspan(4 + l0);
  uint32_t l1 = load_le32(rest.data());
  if (l1 > rest.size() - 4) return {};
  auto nm = rest.subspan(4, l1);
  return std::string(nm.begin(), std::find(nm.begin(), nm.end(), uint8_t{0}));
}

// Whether the kernel extends bank `alg` with the zero-padded SHA-1 template hash.
bool is_padded(HashAlg alg, const std::vector<HashAlg>& padded) {
  return alg != HashAlg::kSha1 && std::find(padded.begin(), padded.end(), alg) != padded.end();
}

// The banks' states before the first extend, from the PCRs' reset values.
std::vector<BankState> bank_states(const std::vector<HashAlg>& banks,
                                   const std::vector<HashAlg>& padded, const PcrSet& reset) {
  std::vector<BankState> state;
  state.reserve(banks.size());
  for (HashAlg alg : banks) {
    state.push_back(BankState{alg, QuickHasher(alg), digest_size(alg), is_padded(alg, padded), {}});
    for (unsigned i = 0; i < kPcrCount; ++i) {
      auto v = reset.get(alg, i).bytes();
      std::copy(v.begin(), v.end(), state.back().pcr[i].begin());
    }
  }
  return state;
}

}  // namespace

ImaReplay replay_ima(ImaReader& reader, const std::vector<HashAlg>& banks,
                     const std::vector<HashAlg>& padded) {
  ImaReplay r{PcrSet(banks), 0, 0, {}, 0, {}};
  std::vector<BankState> state = bank_states(banks, padded, r.values);
  // The list's template hashes are in its bank: H_bank(template data), or the padded SHA-1
  // digest when the kernel extended that bank so.
  const HashAlg list_bank = reader.bank();
  const size_t list_size = digest_size(list_bank);
  const bool list_padded = is_padded(list_bank, padded);
  if (!list_padded && !hash_alg_available(list_bank))
    throw_environment(fmt::format("cannot compute {} to check the list's template hashes",
                                  hash_alg_name(list_bank)),
                      reader.name());
  std::optional<QuickHasher> list_hasher;
  if (list_bank != HashAlg::kSha1 && !list_padded) list_hasher.emplace(list_bank);
  QuickHasher sha1(HashAlg::kSha1);
  ImaRecord e;
  std::bitset<kPcrCount> touched;
  std::array<uint8_t, kSha1Size> computed{};    // SHA-1 of the template data
  std::array<uint8_t, kMaxDigestSize> check{};  // the template hash in the list's bank
  std::array<uint8_t, kMaxDigestSize> value{};
  while (reader.next_record(e)) {
    ++r.entries;
    touched.set(e.pcr);
    const bool violation = e.violation();
    if (violation) {
      ++r.violations;
    } else {
      // The SHA-1 template hash is the sha1 bank's value and the padded banks' source.
      sha1.hash(e.template_data, computed.data());
      if (list_hasher) {
        list_hasher->hash(e.template_data, check.data());
      } else {
        check.fill(0);
        std::copy(computed.begin(), computed.end(), check.begin());
      }
      auto want = std::span<const uint8_t>(check.data(), list_size);
      if (e.logged.size() != list_size || !std::equal(want.begin(), want.end(), e.logged.begin())) {
        if (r.mismatches.size() < 10)
          r.mismatches.push_back({e.where, record_name(e), to_hex(e.logged), to_hex(want)});
        ++r.mismatch_count;
      }
    }
    for (BankState& b : state) {
      std::span<const uint8_t> v;
      if (violation) {
        value.fill(0);
        std::fill_n(value.begin(), b.padded ? kSha1Size : b.size, uint8_t{0xFF});
        v = std::span(value.data(), b.size);
      } else if (b.alg == HashAlg::kSha1) {
        v = computed;
      } else if (b.alg == list_bank && b.padded == list_padded) {
        v = std::span(check.data(), b.size);
      } else if (b.padded) {
        value.fill(0);
        std::copy(computed.begin(), computed.end(), value.begin());
        v = std::span(value.data(), b.size);
      } else {
        b.hasher.hash(e.template_data, value.data());
        v = std::span(value.data(), b.size);
      }
      // The hash reads its inputs before writing the output: extending in place is safe.
      uint8_t* pcr = b.pcr[e.pcr].data();
      b.hasher.hash(std::span(pcr, b.size), v, pcr);
    }
  }
  for (const BankState& b : state)
    for (unsigned i = 0; i < kPcrCount; ++i)
      if (touched.test(i)) r.values.set(i, Digest(b.alg, std::span(b.pcr[i].data(), b.size)));
  for (unsigned i = 0; i < kPcrCount; ++i)
    if (touched.test(i)) r.pcrs.push_back(i);
  return r;
}

}  // namespace integral
