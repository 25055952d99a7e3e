// Hash one input into several banks at once: the input is read once, and for large inputs
// each bank runs on its own thread (the banks' algorithms are independent sequential chains,
// so parallelism across banks is the only parallelism available for a single message).
#pragma once

#include <filesystem>
#include <span>
#include <vector>

#include "integral/crypto/digest.h"

namespace integral {

class MultiHasher {
 public:
  explicit MultiHasher(std::span<const HashAlg> algs);

  // Below this size an update runs every bank on the calling thread: thread hand-off would
  // cost more than it saves.
  static constexpr size_t kParallelThreshold = 256 * 1024;

  void update(std::span<const uint8_t> data);
  std::vector<Digest> finish();  // one digest per algorithm, in constructor order
  size_t bank_count() const { return hashers_.size(); }

 private:
  std::vector<Hasher> hashers_;
};

// Hashes a file into every algorithm, reading it once: a regular file is mapped and each bank
// hashes the mapping on its own thread; anything else (pipe, device) is streamed in large
// chunks. Throws Error naming the file: kBadInput when it is missing, kEnvironment on I/O
// failure.
std::vector<Digest> hash_file(const std::filesystem::path& path, std::span<const HashAlg> algs);

}  // namespace integral
