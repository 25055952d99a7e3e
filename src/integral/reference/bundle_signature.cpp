#include "integral/reference/bundle_signature.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "integral/crypto/base64.h"
#include "integral/crypto/digest.h"
#include "integral/crypto/multi_hasher.h"
#include "integral/util/error.h"
#include "integral/util/json_io.h"

namespace integral {

namespace {

std::string algorithm_of(const PublicKey& k) {
  return EVP_PKEY_get_base_id(k.get()) == EVP_PKEY_RSA ? "rsa-pkcs1v15-sha256" : "ecdsa-sha256";
}

// The signature file's fields, checked for shape; errors name the file.
struct SignatureFile {
  std::string name, sha256, key_id, public_key, algorithm, signature;
  uint64_t size = 0;
};

SignatureFile read_signature(std::string_view text, const std::string& what) {
  // util's reader: a number out of range or too deep a nesting is bad input too (nlohmann's
  // parse throws other exceptions than parse_error for those).
  const nlohmann::json j = parse_json_input(text, what);
  auto field = [&](const nlohmann::json& obj, const char* key) -> std::string {
    auto v = json_string(obj, key);
    if (!v) throw_bad_input(fmt::format("no string \"{}\"", key), what);
    return *v;
  };
  if (!j.is_object() || json_string(j, "format") != kBundleSignatureFormat)
    throw_bad_input(fmt::format("not an {} file", kBundleSignatureFormat), what);
  if (!j.contains("version") || j["version"] != 1)
    throw_bad_input("unsupported version (this integral reads version 1)", what);
  SignatureFile s;
  const auto& file = j.contains("file") ? j["file"] : nlohmann::json();
  s.name = field(file, "name");
  s.sha256 = field(file, "sha256");
  if (!file.contains("size") || !file["size"].is_number_unsigned())
    throw_bad_input("no file size", what);
  s.size = file["size"].get<uint64_t>();
  const auto& key = j.contains("key") ? j["key"] : nlohmann::json();
  s.key_id = field(key, "id");
  s.public_key = field(key, "public_key");
  s.algorithm = field(j, "algorithm");
  s.signature = field(j, "signature");
  return s;
}

}  // namespace

std::string sign_bundle(std::span<const uint8_t> bytes, const std::string& name,
                        const SigningKey& key) {
  nlohmann::ordered_json j;
  j["format"] = kBundleSignatureFormat;
  j["version"] = 1;
  j["file"] = {
      {"name", name}, {"size", bytes.size()}, {"sha256", hash(HashAlg::kSha256, bytes).hex()}};
  j["key"] = {{"id", key.public_key().id().hex()}, {"public_key", key.public_key().pem()}};
  j["algorithm"] = algorithm_of(key.public_key());
  j["signature"] = base64_encode(key.sign(HashAlg::kSha256, bytes));
  return dump_json(j, 2) + "\n";
}

BundleCheck verify_bundle(std::span<const uint8_t> bytes, std::string_view signature_text,
                          const std::string& sig_name, const std::vector<PublicKey>& required) {
  const SignatureFile s = read_signature(signature_text, sig_name);
  const PublicKey key = PublicKey::from_pem(s.public_key, sig_name + " (key.public_key)");
  BundleCheck c;
  c.key_id = key.id().hex();
  if (c.key_id != s.key_id) {
    c.reason = "the signature file's key id is not its public key's";
    return c;
  }
  if (s.algorithm != algorithm_of(key)) {
    c.reason = "algorithm " + s.algorithm + " does not fit the key";
    return c;
  }
  if (bytes.size() != s.size || hash(HashAlg::kSha256, bytes).hex() != s.sha256) {
    c.reason = bytes.size() != s.size
                   ? fmt::format("the file is not the one signed ({} bytes now, {} signed)",
                                 bytes.size(), s.size)
                   : "the file is not the one signed (its sha256 differs)";
    return c;
  }
  const auto sig = base64_decode(s.signature);
  if (!sig || !key.verify(HashAlg::kSha256, bytes, *sig)) {
    c.reason = "the signature does not verify with its key";
    return c;
  }
  if (!required.empty()) {
    bool found = false;
    for (const PublicKey& r : required) found = found || r.id().hex() == c.key_id;
    if (!found) {
      c.reason = "signed by key " + c.key_id + ", not by a required key";
      return c;
    }
  }
  c.ok = true;
  return c;
}

std::string bundle_boot_of(std::string_view bundle_text, const std::filesystem::path& bundle_path,
                           const std::filesystem::path& prediction, std::string& reason) {
  const nlohmann::json j = parse_json_input(bundle_text, bundle_path.string());
  if (!j.is_object() || !j.contains("boots") || !j["boots"].is_object()) {
    reason = "the bundle names no boots";
    return {};
  }
  std::error_code ec;
  const HashAlg sha256[] = {HashAlg::kSha256};
  const std::string actual = hash_file(prediction, sha256).front().hex();
  for (const auto& [name, boot] : j["boots"].items()) {
    if (!boot.is_object() || !boot.contains("prediction") || !boot["prediction"].is_string())
      continue;
    const auto named = bundle_path.parent_path() / boot["prediction"].get<std::string>();
    if (!std::filesystem::equivalent(named, prediction, ec)) continue;
    if (json_string(boot, "prediction_sha256") == actual) return name;
    reason = "the prediction file changed since the bundle named it (boot " + name + ")";
    return {};
  }
  reason = "the bundle names no boot with this prediction file";
  return {};
}

}  // namespace integral
