#include "integral/crypto/multi_hasher.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

#include "integral/util/error.h"
#include "integral/util/fd.h"
#include "integral/util/file_io.h"
#include "integral/util/mapped_file.h"
#include "integral/util/progress.h"

namespace integral {

MultiHasher::MultiHasher(std::span<const HashAlg> algs) {
  hashers_.reserve(algs.size());
  for (HashAlg a : algs) hashers_.emplace_back(a);
}

void MultiHasher::update(std::span<const uint8_t> data) {
  if (hashers_.size() < 2 || data.size() < kParallelThreshold) {
    for (auto& h : hashers_) h.update(data);
    return;
  }
  // Bank 0 on this thread, the others on their own; each walks the same bytes.
  std::vector<std::thread> workers;
  std::vector<std::exception_ptr> errors(hashers_.size());
  workers.reserve(hashers_.size() - 1);
  for (size_t i = 1; i < hashers_.size(); ++i) {
    workers.emplace_back([this, i, data, &errors] {
      try {
        hashers_[i].update(data);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  }
  try {
    hashers_[0].update(data);
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (auto& w : workers) w.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

std::vector<Digest> MultiHasher::finish() {
  std::vector<Digest> out;
  out.reserve(hashers_.size());
  for (auto& h : hashers_) out.push_back(h.finish());
  return out;
}

namespace {

std::vector<Digest> hash_stream(int fd, const std::filesystem::path& path, MultiHasher& mh) {
  constexpr size_t kChunk = 4 << 20;
  std::vector<uint8_t> buf(kChunk);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw_environment(std::string("read failed: ") + std::strerror(errno), path.string());
    if (n == 0) break;
    mh.update(std::span(buf.data(), static_cast<size_t>(n)));
  }
  return mh.finish();
}

}  // namespace

std::vector<Digest> hash_file(const std::filesystem::path& path, std::span<const HashAlg> algs) {
  Fd fd(open_input(path));
  MultiHasher mh(algs);
  auto map = MappedFile::map(fd.get(), path.string());
  if (!map) return hash_stream(fd.get(), path, mh);
  map->advise_sequential();
  // Slices big enough that the per-slice thread hand-off is noise (16 per GiB), small enough
  // for progress to move on a terminal.
  constexpr size_t kSlice = 64 << 20;
  const auto bytes = map->bytes();
  Progress progress("hashing " + path.filename().string(), bytes.size());
  for (size_t off = 0; off < bytes.size(); off += kSlice) {
    const auto slice = bytes.subspan(off, std::min(kSlice, bytes.size() - off));
    mh.update(slice);
    progress.advance(slice.size());
  }
  return mh.finish();
}

}  // namespace integral
