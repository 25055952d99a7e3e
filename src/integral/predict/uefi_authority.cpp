#include "integral/predict/uefi_authority.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "integral/chain/event_type.h"
#include "integral/eventlog/event_data_text.h"
#include "integral/eventlog/event_log.h"
#include "integral/formats/pe.h"
#include "integral/formats/pe_signature.h"
#include "integral/predict/stage.h"
#include "integral/predict/uefi_events.h"
#include "integral/util/bytes.h"

namespace integral::uefi {

const EfiGuid kGlobalGuid = {0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
                             0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c};
const EfiGuid kImageSecurityGuid = {0xcb, 0xb2, 0x19, 0xd7, 0x3a, 0x3d, 0x96, 0x45,
                                    0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f};
const EfiGuid kShimLockGuid = {0x50, 0xab, 0x5d, 0x60, 0x46, 0xe0, 0x00, 0x43,
                               0xab, 0xb6, 0x3d, 0xd8, 0x10, 0xdd, 0x8b, 0x23};

std::vector<uint8_t> variable_data(const EfiGuid& guid, std::string_view name,
                                   std::span<const uint8_t> data) {
  std::vector<uint8_t> d(guid.begin(), guid.end());
  append_le(d, name.size(), 8);
  append_le(d, data.size(), 8);
  auto n = utf16le(name, false);
  d.insert(d.end(), n.begin(), n.end());
  d.insert(d.end(), data.begin(), data.end());
  return d;
}

std::vector<uint8_t> db_from_log(StageFields& f, std::string_view key, const std::string& file) {
  const EventLog log = f.reading(key, [&] { return load_event_log(file); });
  std::optional<std::vector<uint8_t>> db;
  for (const Event& e : log.chain().events) {
    if (e.pcr != 7 || !e.type) continue;
    if (*e.type == ev::kSeparator) break;
    if (*e.type != ev::kEfiVariableDriverConfig) continue;
    auto v = parse_uefi_variable(e.data);
    if (v && v->name == "db" && v->guid == "d719b2cb-3d3a-4596-a3bc-dad00e67656f")
      db.emplace(v->data.begin(), v->data.end());
  }
  if (!db) f.fail(key, fmt::format("{} has no db variable event in PCR 7", file));
  return *db;
}

SignedImage::SignedImage(std::span<const uint8_t> bytes, std::string path)
    : bytes_(bytes), path_(std::move(path)), pe_(parse_pe(bytes, path_)) {
  sigs_ = pe_signatures(bytes_, pe_);
}

std::vector<Digest> SignedImage::digests(std::span<const HashAlg> algs) {
  auto known = [&](HashAlg alg) {
    return std::find_if(known_.begin(), known_.end(),
                        [&](const Digest& d) { return d.alg() == alg; });
  };
  std::vector<HashAlg> missing;
  for (HashAlg alg : algs)
    if (known(alg) == known_.end() &&
        std::find(missing.begin(), missing.end(), alg) == missing.end())
      missing.push_back(alg);
  if (!missing.empty())
    for (Digest& d : authenticode_digests(bytes_, pe_, missing)) known_.push_back(std::move(d));
  std::vector<Digest> out;
  for (HashAlg alg : algs) out.push_back(*known(alg));
  return out;
}

Digest SignedImage::digest(HashAlg alg) {
  const HashAlg one[] = {alg};
  return digests(one)[0];
}

const EfiSignature* admitting_entry(SignedImage& image, const std::vector<EfiSignature>& entries,
                                    const std::string& db_name, bool hash_first) {
  auto by_hash = [&]() -> const EfiSignature* {
    const Digest digest = image.digest(HashAlg::kSha256);
    for (const auto& entry : entries)
      if (entry.type == kEfiCertSha256Guid && std::ranges::equal(entry.data, digest.bytes()))
        return &entry;
    return nullptr;
  };
  if (hash_first)
    if (const EfiSignature* e = by_hash()) return e;
  for (const auto& sig : image.signatures()) {
    const Digest digest = image.digest(sig.signed_digest.alg());
    for (const auto& entry : entries) {
      if (entry.type != kEfiCertX509Guid) continue;
      if (authenticode_verified_by(sig, digest, entry.data,
                                   fmt::format("{} @ {:#x}", db_name, entry.offset)))
        return &entry;
    }
  }
  return hash_first ? nullptr : by_hash();
}

}  // namespace integral::uefi
