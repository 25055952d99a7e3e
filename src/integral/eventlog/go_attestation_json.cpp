#include "integral/eventlog/go_attestation_json.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "integral/crypto/base64.h"
#include "integral/tpm/pcr_set.h"
#include "integral/util/error.h"
#include "integral/util/json_io.h"

namespace integral {

namespace {

// Go's crypto.Hash numbering, which go-attestation writes as DigestAlg.
std::optional<HashAlg> go_crypto_hash(uint64_t id) {
  switch (id) {
    case 3:
      return HashAlg::kSha1;
    case 5:
      return HashAlg::kSha256;
    case 6:
      return HashAlg::kSha384;
    case 7:
      return HashAlg::kSha512;
    default:
      return std::nullopt;
  }
}

}  // namespace

GoAttestationDump parse_go_attestation_json(std::string_view text, const std::string& file) {
  const nlohmann::json j = parse_json_input(text, file);
  GoAttestationDump out;
  if (!j.is_object() || !j.contains("Log") || !j["Log"].is_object())
    throw_bad_input("not a go-attestation dump (no \"Log\" object)", file);
  const auto& log = j["Log"];
  if (!log.contains("Raw") || !log["Raw"].is_string())
    throw_bad_input("Log.Raw is missing or not a string", file);
  auto raw = base64_decode(log["Raw"].get_ref<const std::string&>());
  if (!raw) throw_bad_input("Log.Raw is not base64", file);
  out.raw_log = std::move(*raw);
  if (log.contains("PCRs") && !log["PCRs"].is_null()) {
    if (!log["PCRs"].is_array()) throw_bad_input("Log.PCRs is not an array", file);
    size_t i = 0;
    for (const auto& p : log["PCRs"]) {
      std::string where = fmt::format("Log.PCRs[{}]", i++);
      if (!p.is_object() || !p.contains("Index") || !p["Index"].is_number_unsigned() ||
          !p.contains("Digest") || !p["Digest"].is_string() || !p.contains("DigestAlg") ||
          !p["DigestAlg"].is_number_unsigned())
        throw_bad_input(where + " needs Index, Digest and DigestAlg", file);
      uint64_t index = p["Index"].get<uint64_t>();
      if (index >= kPcrCount)
        throw_bad_input(fmt::format("{}: PCR {} is out of range", where, index), file);
      const auto go_alg = go_crypto_hash(p["DigestAlg"].get<uint64_t>());
      if (!go_alg)
        throw_bad_input(fmt::format("{}: unknown DigestAlg {}", where, p["DigestAlg"].dump()),
                        file);
      const HashAlg alg = *go_alg;
      auto bytes = base64_decode(p["Digest"].get_ref<const std::string&>());
      if (!bytes || bytes->size() != digest_size(alg))
        throw_bad_input(
            fmt::format("{}: Digest is not a base64 {} value", where, hash_alg_name(alg)), file);
      auto it = std::find_if(out.pcrs.banks.begin(), out.pcrs.banks.end(),
                             [alg](const auto& b) { return b.first == alg; });
      if (it == out.pcrs.banks.end()) {
        out.pcrs.banks.push_back({alg, {}});
        it = out.pcrs.banks.end() - 1;
      }
      it->second[static_cast<unsigned>(index)] = Digest(alg, *bytes);
    }
  }
  return out;
}

}  // namespace integral
