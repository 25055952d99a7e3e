#include "integral/eventlog/boot_aggregate.h"

#include <fmt/format.h>

#include <algorithm>

#include "integral/util/bytes.h"
#include "integral/util/error.h"
#include "integral/util/hex.h"

namespace integral {

Digest boot_aggregate(const PcrSet& pcrs, HashAlg alg, std::optional<unsigned> last_pcr) {
  unsigned last = last_pcr ? *last_pcr : alg == HashAlg::kSha1 ? 7 : 9;
  Hasher h(alg);
  for (unsigned i = 0; i <= last && i < kPcrCount; ++i) h.update(pcrs.get(alg, i).bytes());
  return h.finish();
}

namespace {

// The kernel's hash_algo_name spellings as they appear in d-ng fields.
std::optional<HashAlg> kernel_hash_alg(std::string_view name) {
  if (name == "sm3") return HashAlg::kSm3_256;
  if (name == "sha1" || name == "sha256" || name == "sha384" || name == "sha512")
    return parse_hash_alg(name);
  return std::nullopt;
}

}  // namespace

BootAggregateCheck check_boot_aggregate(const ImaEntry& first, const PcrSet& pcrs) {
  BootAggregateCheck c;
  c.is_boot_aggregate = first.name == "boot_aggregate";
  std::span<const uint8_t> digest;
  const auto& data = first.template_data;
  if (first.template_name == "ima") {
    c.alg = HashAlg::kSha1;
    if (data.size() >= 20) digest = std::span(data).first(20);
  } else if (data.size() >= 4) {
    // d-ng: u32 length, "alg:" NUL digest.
    const uint32_t len = load_le32(data.data());
    auto f = std::span(data).subspan(4, std::min<size_t>(len, data.size() - 4));
    auto nul = std::find(f.begin(), f.end(), uint8_t{0});
    std::string_view name(reinterpret_cast<const char*>(f.data()),
                          static_cast<size_t>(nul - f.begin()));
    if (nul != f.end() && !name.empty() && name.back() == ':') {
      name.remove_suffix(1);
      c.alg = kernel_hash_alg(name);
      digest = f.subspan(static_cast<size_t>(nul - f.begin()) + 1);
    }
  }
  c.logged = to_hex(digest);
  if (!c.is_boot_aggregate || !c.alg || digest.size() != digest_size(*c.alg)) return c;
  if (!pcrs.has_bank(*c.alg))
    throw_bad_input(
        fmt::format("boot_aggregate is {}, a bank the PCRs do not have", hash_alg_name(*c.alg)));
  Digest now = boot_aggregate(pcrs, *c.alg);
  c.computed = now.hex();
  if (std::equal(digest.begin(), digest.end(), now.bytes().begin())) {
    c.matched = *c.alg == HashAlg::kSha1 ? "PCRs 0-7" : "PCRs 0-9";
  } else if (*c.alg != HashAlg::kSha1) {
    Digest old = boot_aggregate(pcrs, *c.alg, 7);
    if (std::equal(digest.begin(), digest.end(), old.bytes().begin())) {
      c.matched = "PCRs 0-7";
      c.computed = old.hex();  // the value that matched, not the current kernels' one
    }
  }
  return c;
}

}  // namespace integral
