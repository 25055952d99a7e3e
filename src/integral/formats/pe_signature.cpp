#include "integral/formats/pe_signature.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>
#include <optional>

#include "integral/util/byte_reader.h"
#include "integral/util/error.h"

namespace integral {

namespace {

constexpr uint16_t kWinCertTypePkcsSignedData = 0x0002;

struct Pkcs7Free {
  void operator()(PKCS7* p) const { PKCS7_free(p); }
};
using Pkcs7Ptr = std::unique_ptr<PKCS7, Pkcs7Free>;

// One DER TLV: where its value starts and how long it is (lengths up to 4 bytes).
struct Tlv {
  uint8_t tag;
  size_t header;
  size_t length;
};

std::optional<Tlv> read_tlv(std::span<const uint8_t> d) {
  if (d.size() < 2) return std::nullopt;
  Tlv t{d[0], 2, d[1]};
  if (d[1] & 0x80) {
    size_t n = d[1] & 0x7fu;
    if (n == 0 || n > 4 || d.size() < 2 + n) return std::nullopt;
    t.length = 0;
    for (size_t i = 0; i < n; ++i) t.length = t.length << 8 | d[2 + i];
    t.header = 2 + n;
  }
  if (t.length > d.size() - t.header) return std::nullopt;
  return t;
}

Pkcs7Ptr parse_pkcs7(std::span<const uint8_t> der) {
  const unsigned char* p = der.data();
  return Pkcs7Ptr(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
}

// SpcIndirectDataContent's value bytes (what the signature's messageDigest covers: the
// SEQUENCE's contents without its tag and length, as Authenticode defines it).
std::optional<std::span<const uint8_t>> indirect_content(PKCS7* p7) {
  if (!PKCS7_type_is_signed(p7) || !p7->d.sign || !p7->d.sign->contents) return std::nullopt;
  PKCS7* inner = p7->d.sign->contents;
  if (PKCS7_type_is_data(inner) || !inner->d.other || inner->d.other->type != V_ASN1_SEQUENCE)
    return std::nullopt;
  const ASN1_STRING* seq = inner->d.other->value.sequence;
  std::span<const uint8_t> der(ASN1_STRING_get0_data(seq),
                               static_cast<size_t>(ASN1_STRING_length(seq)));
  auto t = read_tlv(der);
  if (!t || t->tag != 0x30) return std::nullopt;
  return der.subspan(t->header, t->length);
}

// The DigestInfo of SpcIndirectDataContent: SEQUENCE { data, SEQUENCE { AlgorithmIdentifier,
// OCTET STRING digest } }.
std::optional<Digest> signed_digest(std::span<const uint8_t> content) {
  auto data = read_tlv(content);
  if (!data) return std::nullopt;
  auto rest = content.subspan(data->header + data->length);
  auto info = read_tlv(rest);
  if (!info || info->tag != 0x30) return std::nullopt;
  auto body = rest.subspan(info->header, info->length);
  auto alg_id = read_tlv(body);
  if (!alg_id || alg_id->tag != 0x30) return std::nullopt;
  auto alg_body = body.subspan(alg_id->header, alg_id->length);
  auto oid = read_tlv(alg_body);
  if (!oid || oid->tag != 0x06) return std::nullopt;
  const unsigned char* p = alg_body.data();
  ASN1_OBJECT* obj = d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(oid->header + oid->length));
  if (!obj) return std::nullopt;
  int nid = OBJ_obj2nid(obj);
  ASN1_OBJECT_free(obj);
  std::optional<HashAlg> alg;
  if (nid == NID_sha1) alg = HashAlg::kSha1;
  if (nid == NID_sha256) alg = HashAlg::kSha256;
  if (nid == NID_sha384) alg = HashAlg::kSha384;
  if (nid == NID_sha512) alg = HashAlg::kSha512;
  auto digest_part = body.subspan(alg_id->header + alg_id->length);
  auto octets = read_tlv(digest_part);
  if (!alg || !octets || octets->tag != 0x04 || octets->length != digest_size(*alg))
    return std::nullopt;
  return Digest(*alg, digest_part.subspan(octets->header, octets->length));
}

}  // namespace

std::vector<PeSignature> pe_signatures(std::span<const uint8_t> data, const PeImage& image) {
  std::vector<PeSignature> out;
  if (image.cert_table_size == 0) return out;
  // parse_pe checked that the table lies inside the file.
  ByteReader r(data.subspan(image.cert_table_offset, image.cert_table_size), image.file,
               image.cert_table_offset);
  uint64_t pos = 0;
  while (pos + 8 <= r.size()) {
    uint32_t length = r.u32(pos, "WIN_CERTIFICATE dwLength");
    uint16_t type = r.u16(pos + 6, "WIN_CERTIFICATE wCertificateType");
    if (length < 8 || length > r.size() - pos)
      r.fail(pos, fmt::format("WIN_CERTIFICATE of {} bytes does not fit the {} bytes left", length,
                              r.size() - pos));
    if (type == kWinCertTypePkcsSignedData) {
      PeSignature s;
      s.pkcs7 = r.bytes(pos + 8, length - 8, "WIN_CERTIFICATE bCertificate");
      s.offset = image.cert_table_offset + pos;
      Pkcs7Ptr p7 = parse_pkcs7(s.pkcs7);
      auto content = p7 ? indirect_content(p7.get()) : std::nullopt;
      auto digest = content ? signed_digest(*content) : std::nullopt;
      if (!digest)
        r.fail(pos + 8,
               "not an Authenticode PKCS#7 signature (SignedData over "
               "SpcIndirectDataContent with a SHA digest)");
      s.signed_digest = *digest;
      out.push_back(s);
    }
    pos += (static_cast<uint64_t>(length) + 7) & ~uint64_t{7};  // entries are 8-byte aligned
  }
  return out;
}

bool authenticode_verified_by(const PeSignature& sig, const Digest& image_digest,
                              std::span<const uint8_t> cert, const std::string& cert_name) {
  const unsigned char* p = cert.data();
  std::unique_ptr<X509, decltype(&X509_free)> x509(
      d2i_X509(nullptr, &p, static_cast<long>(cert.size())), X509_free);
  if (!x509) throw_bad_input("is not a DER X.509 certificate", cert_name);
  if (!(sig.signed_digest == image_digest)) return false;
  Pkcs7Ptr p7 = parse_pkcs7(sig.pkcs7);
  auto content = p7 ? indirect_content(p7.get()) : std::nullopt;
  if (!content) return false;
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> in(
      BIO_new_mem_buf(content->data(), static_cast<int>(content->size())), BIO_free);
  if (!store || !in || X509_STORE_add_cert(store.get(), x509.get()) != 1)
    throw Error(ExitCode::kEnvironment, "OpenSSL: out of memory");
  // As EDK2: the db certificate is a trust anchor wherever it sits in the chain, and neither
  // validity dates nor key usage are checked.
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
  X509_STORE_set_purpose(store.get(), X509_PURPOSE_ANY);
  int ok = PKCS7_verify(p7.get(), nullptr, store.get(), in.get(), nullptr, PKCS7_BINARY);
  ERR_clear_error();
  return ok == 1;
}

}  // namespace integral
