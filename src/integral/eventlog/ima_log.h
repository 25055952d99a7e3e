// Linux IMA measurement lists (securityfs ascii_runtime_measurements and
// binary_runtime_measurements) with the ima, ima-ng, ima-sig and ima-buf templates, read as a
// stream: a list of millions of entries is replayed without being held in memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "integral/crypto/digest.h"
#include "integral/tpm/pcr_set.h"

namespace integral {

enum class ImaFormat { kAscii, kBinary };

struct ImaEntry {
  uint64_t where = 0;  // byte offset (binary) or line number (ASCII)
  uint32_t pcr = 10;
  Digest logged;  // the template hash in the list (SHA-1 in both forms)
  std::string template_name;
  // The template data exactly as the kernel hashes it: for ima-ng/-sig/-buf each field with
  // its u32 length prefix; for the legacy "ima" template d (20 bytes) || name padded to 256.
  std::vector<uint8_t> template_data;
  std::string file_digest;  // "sha256:<hex>" (ima-ng family) or "<hex>" (ima)
  std::string name;         // file name or buffer name
  std::string extra;        // ima-sig signature / ima-buf buffer, hex (may be empty)
  bool violation() const;   // logged template hash all zero: PCR gets all-ones
};

// H_bank(template data); a violation extends all-ones in every bank.
Digest ima_extend_value(const ImaEntry& e, HashAlg bank);

// Sniffs the format from the first bytes: an ASCII list starts with a decimal PCR and a space.
ImaFormat sniff_ima(std::span<const uint8_t> head);
// Whether the first bytes look like an IMA list at all (either form).
bool looks_like_ima(std::span<const uint8_t> head);

class ImaReader {
 public:
  // Reads `path` in chunks; `format` nullopt: sniffed.
  explicit ImaReader(const std::filesystem::path& path, std::optional<ImaFormat> format = {});
  // Reads from memory (tests, fuzzing); `data` must outlive the reader.
  ImaReader(std::span<const uint8_t> data, std::string name, std::optional<ImaFormat> format = {});
  ~ImaReader();
  ImaReader(const ImaReader&) = delete;
  ImaReader& operator=(const ImaReader&) = delete;

  ImaFormat format() const { return format_; }
  const std::string& name() const { return name_; }
  // The next entry, or false at the end. Throws Error(kBadInput) with the offset or line.
  bool next(ImaEntry& out);

 private:
  // Ensures n bytes are buffered from the current position; false if the input ends first.
  bool fill(size_t n);
  std::span<const uint8_t> take(size_t n, const char* what);
  bool next_binary(ImaEntry& out);
  bool next_ascii(ImaEntry& out);
  [[noreturn]] void fail(uint64_t where, const std::string& message) const;

  std::string name_;
  int fd_ = -1;
  std::span<const uint8_t> memory_;
  std::vector<uint8_t> buf_;
  size_t start_ = 0, end_ = 0;  // buffered bytes [start_, end_)
  uint64_t consumed_ = 0;       // absolute offset of buf_[start_]
  uint64_t line_ = 0;
  bool eof_ = false;
  ImaFormat format_ = ImaFormat::kBinary;
};

struct ImaTemplateMismatch {
  uint64_t where;
  std::string name;
  std::string logged, computed;  // SHA-1 hex
};

struct ImaReplay {
  PcrSet values;
  uint64_t entries = 0, violations = 0;
  std::vector<ImaTemplateMismatch> mismatches;  // the first few only
  uint64_t mismatch_count = 0;
  std::vector<unsigned> pcrs;  // PCRs the list extends, ascending
};

// Replays the whole list into `banks`, recomputing and checking every template hash.
ImaReplay replay_ima(ImaReader& reader, const std::vector<HashAlg>& banks);

}  // namespace integral
