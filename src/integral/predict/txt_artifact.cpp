#include "integral/predict/txt_artifact.h"

#include <fmt/format.h>

#include "integral/formats/tboot_mle.h"
#include "integral/util/error.h"

namespace integral {

const Digest& TxtArtifact::need(HashAlg alg, StageFields& f, std::string_view key) const {
  for (const auto& d : digests)
    if (d.alg() == alg) return d;
  f.fail(key, fmt::format("'{}' gives no {} digest, which this launch extends", text,
                          hash_alg_name(alg)));
}

TxtArtifact parse_txt_artifact(const std::string& spec, StageFields& f, std::string_view key,
                               const StageContext& ctx) {
  TxtArtifact a;
  a.text = spec;
  std::string_view rest;
  if (spec.starts_with("digest:")) {
    a.kind = TxtArtifact::Kind::kDigest;
    rest = std::string_view(spec).substr(7);
  } else if (spec.starts_with("image-digest:")) {
    a.kind = TxtArtifact::Kind::kImageDigest;
    rest = std::string_view(spec).substr(13);
  } else {
    if (spec.empty()) f.fail(key, "names an empty file");
    a.path = ctx.resolve(spec);
    return a;
  }
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t eq = item.find('=');
    auto alg = eq == std::string_view::npos ? std::nullopt : parse_hash_alg(item.substr(0, eq));
    if (!alg) f.fail(key, fmt::format("'{}': expected ALG=HEX[,ALG=HEX...]", spec));
    auto d = Digest::from_hex(*alg, item.substr(eq + 1));
    if (!d)
      f.fail(key, fmt::format("'{}': {} needs {} hex digits", spec, hash_alg_name(*alg),
                              2 * digest_size(*alg)));
    a.digests.push_back(*d);
  }
  if (a.digests.empty()) f.fail(key, fmt::format("'{}' has no digest", spec));
  return a;
}

std::vector<Digest> txt_mle_digests(const TxtArtifact& mle, const std::string& cmdline,
                                    const std::vector<HashAlg>& banks, StageFields& f,
                                    std::string_view key) {
  if (mle.kind == TxtArtifact::Kind::kImageDigest)
    f.fail(key, "the MLE is given as a file or as digest:ALG=HEX");
  std::vector<Digest> out;
  if (mle.kind == TxtArtifact::Kind::kDigest) {
    for (HashAlg b : banks) out.push_back(mle.need(b, f, key));
    return out;
  }
  return f.reading(
      key, mle.path, [&] { return TbootMle::load(mle.path).mle_hash(banks, cmdline); },
      StageFields::Blame::kInputOrEnvironment);
}

}  // namespace integral
