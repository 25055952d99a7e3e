// Linux IMA measurement lists (securityfs ascii_runtime_measurements and
// binary_runtime_measurements) with the ima, ima-ng, ima-sig and ima-buf templates, read as a
// stream: a list of millions of entries is replayed without being held in memory. Since Linux
// 6.x the kernel also writes one list per TPM bank (binary_runtime_measurements_sha256, ...,
// ima_fs.c): the same entries with each template hash in that bank's size.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "integral/crypto/digest.h"
#include "integral/tpm/pcr_set.h"
#include "integral/util/fd.h"
#include "integral/util/mapped_file.h"

namespace integral {

enum class ImaFormat { kAscii, kBinary };

struct ImaEntry {
  uint64_t where = 0;  // byte offset (binary) or line number (ASCII)
  uint32_t pcr = 10;
  Digest logged;  // the template hash in the list, in the list's bank (ImaReader::bank)
  std::string template_name;
  // The template data exactly as the kernel hashes it: for ima-ng/-sig/-buf each field with
  // its u32 length prefix; for the legacy "ima" template d (20 bytes) || name padded to 256.
  std::vector<uint8_t> template_data;
  std::string file_digest;  // "sha256:<hex>" (ima-ng family) or "<hex>" (ima)
  std::string name;         // file name or buffer name
  std::string extra;        // ima-sig signature / ima-buf buffer, hex (may be empty)
  bool violation() const;   // logged template hash all zero: PCR gets all-ones
};

// One entry as it sits in the input, without display fields: what a replay needs, parsed
// without allocating. The views stay valid until the reader's next call.
struct ImaRecord {
  uint64_t where = 0;  // byte offset (binary) or line number (ASCII)
  uint32_t pcr = 10;
  std::span<const uint8_t> logged;  // the template hash in the list (the list's bank's size)
  std::string_view template_name;
  std::span<const uint8_t> template_data;  // exactly what the kernel hashes
  bool violation() const;                  // logged template hash all zero
};

// How the kernel computed what it extended into a bank: since Linux 5.8 (commit 1ea973df6e21,
// "ima: Calculate and extend PCR with digests in ima_template_entry") every bank gets
// H_bank(template data), except a bank whose hash the kernel lacks; that bank, and every
// non-SHA-1 bank under older kernels, gets the SHA-1 template digest zero-padded to the bank's
// size (ima_calc_field_array_hash: "for unmapped TPM algorithms digest is still a padded
// SHA1"), and a violation there is 20 0xFF bytes zero-padded (ima_init_digests).
enum class ImaBankRule { kNative, kPaddedSha1 };

// What the kernel extends into `bank` for `e`: H_bank(template data), all-ones for a violation,
// or the padded forms under kPaddedSha1.
Digest ima_extend_value(const ImaEntry& e, HashAlg bank, ImaBankRule rule = ImaBankRule::kNative);

// Sniffs the format from the first bytes: an ASCII list starts with a decimal PCR and a space.
ImaFormat sniff_ima(std::span<const uint8_t> head);
// Whether `data` (a whole file, or its first bytes) is an IMA list in either form, judged by the
// layout of its first entries (PCR index, a template hash of 20/32/48/64 bytes, a printable
// template name, lengths that fit), never by a template's name.
bool looks_like_ima(std::span<const uint8_t> data);

// The bank of a list's template hashes: the kernel's hash names (sha1, sha256, sha384, sha512,
// sm3).
std::optional<HashAlg> parse_ima_bank(std::string_view name);
// The bank a securityfs file name gives: "..._sha256" (an extension after it is ignored).
std::optional<HashAlg> ima_bank_from_file_name(std::string_view path);

// An --ima-bank option: nullopt when empty; Error(kUsage) for a name parse_ima_bank refuses.
std::optional<HashAlg> ima_bank_option(std::string_view text);

// Where a reader's bank came from.
enum class ImaBankSource { kOption, kFileName, kLayout };

class ImaReader {
 public:
  // Maps `path` when it is a regular file, else reads it in chunks (securityfs reports size 0);
  // `format` nullopt: sniffed. `bank`: the bank of the template hashes; nullopt: from the file
  // name's suffix, else from the layout of the first entries. Throws Error(kBadInput) when the
  // first entries fit no digest size.
  explicit ImaReader(const std::filesystem::path& path, std::optional<ImaFormat> format = {},
                     std::optional<HashAlg> bank = {});
  // Reads from memory (tests, fuzzing); `data` must outlive the reader.
  ImaReader(std::span<const uint8_t> data, std::string name, std::optional<ImaFormat> format = {},
            std::optional<HashAlg> bank = {});
  ~ImaReader();
  ImaReader(const ImaReader&) = delete;
  ImaReader& operator=(const ImaReader&) = delete;

  ImaFormat format() const { return format_; }
  const std::string& name() const { return name_; }
  HashAlg bank() const { return bank_; }
  ImaBankSource bank_source() const { return bank_source_; }
  // The next entry, or false at the end. Throws Error(kBadInput) with the offset or line.
  bool next(ImaEntry& out);
  // The same without display fields (replay): views into the reader, valid until the next call.
  bool next_record(ImaRecord& out);

 private:
  // Ensures n bytes are buffered from the current position; false if the input ends first.
  bool fill(size_t n);
  const uint8_t* head() const;  // the first unread byte
  size_t available() const;     // bytes buffered from head()
  // Ensures the entry's first n bytes are buffered; fails naming `what` at entry offset + at.
  void need(size_t n, size_t at, const char* what);
  void advance(size_t n);
  bool next_binary(ImaRecord& out);
  bool next_ascii(ImaRecord& out);
  // The steps of next_ascii: the next line (nullopt at the end); the word before the next blank
  // (fails naming `what` follows it); template data rebuilt into scratch_ from the rest of the
  // line after the template name, for "ima" and for the ima-ng family.
  std::optional<std::string_view> ascii_line();
  std::string_view ascii_token(std::string_view& s, const char* what) const;
  void ascii_legacy_data(std::string_view rest);
  void ascii_ng_data(std::string_view rest, bool has_extra);
  [[noreturn]] void fail(uint64_t where, const std::string& message) const;
  // Settles the bank (and digest size) once the first bytes are buffered.
  void choose_bank(std::optional<HashAlg> bank);

  std::string name_;
  Fd fd_;                              // a stream read in chunks (invalid: memory_ holds it all)
  std::optional<MappedFile> mapping_;  // a regular file, mapped
  std::span<const uint8_t> memory_;    // the whole input (memory, or the mapping)
  std::vector<uint8_t> buf_;
  std::array<uint8_t, kMaxDigestSize> logged_{};  // an ASCII line's template hash
  std::vector<uint8_t> scratch_;  // template data rebuilt from an ASCII line or legacy entry
  size_t start_ = 0, end_ = 0;    // buffered bytes [start_, end_)
  uint64_t consumed_ = 0;         // absolute offset of buf_[start_]
  uint64_t line_ = 0;
  bool eof_ = false;
  ImaFormat format_ = ImaFormat::kBinary;
  HashAlg bank_ = HashAlg::kSha1;
  ImaBankSource bank_source_ = ImaBankSource::kLayout;
  size_t digest_size_ = 20;
};

}  // namespace integral
