#include "integral/image/verity.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "integral/crypto/evp.h"
#include "integral/util/error.h"
#include "integral/util/fd.h"

namespace integral::image {

namespace {

// H(salt ‖ block), starting from a context that already holds the salt.
class SaltedHasher {
 public:
  SaltedHasher(HashAlg alg, const std::vector<uint8_t>& salt) {
    base_ = EVP_MD_CTX_new();
    ctx_ = EVP_MD_CTX_new();
    if (!base_ || !ctx_ || !EVP_DigestInit_ex(base_, evp_md(alg), nullptr) ||
        !EVP_DigestUpdate(base_, salt.data(), salt.size()))
      throw_environment("OpenSSL digest initialisation failed");
  }
  ~SaltedHasher() {
    EVP_MD_CTX_free(base_);
    EVP_MD_CTX_free(ctx_);
  }
  SaltedHasher(const SaltedHasher&) = delete;
  SaltedHasher& operator=(const SaltedHasher&) = delete;
  void hash(const uint8_t* data, size_t len, uint8_t* out) {
    unsigned int n = 0;
    if (!EVP_MD_CTX_copy_ex(ctx_, base_) || !EVP_DigestUpdate(ctx_, data, len) ||
        !EVP_DigestFinal_ex(ctx_, out, &n))
      throw_environment("OpenSSL digest failed");
  }

 private:
  EVP_MD_CTX* base_ = nullptr;
  EVP_MD_CTX* ctx_ = nullptr;
};

bool pow2(uint32_t v) {
  return v && !(v & (v - 1));
}

}  // namespace

std::vector<uint8_t> derive_bytes(const std::string& label, std::string_view from, size_t n) {
  Hasher h(HashAlg::kSha256);
  h.update(label);
  h.update(from);
  auto d = h.finish();
  auto b = d.bytes();
  return std::vector<uint8_t>(b.begin(),
                              b.begin() + static_cast<std::ptrdiff_t>(std::min(n, b.size())));
}

void verity_check(uint64_t data_size, const VerityParams& p, const std::string& what) {
  if (!pow2(p.data_block_size) || !pow2(p.hash_block_size) || p.data_block_size < 512 ||
      p.hash_block_size < 512 || p.data_block_size > (512u << 10) ||
      p.hash_block_size > (512u << 10))
    throw_usage("verity block sizes must be powers of two from 512 to 512 KiB");
  if (p.salt.size() > 256) throw_usage("verity salt is at most 256 bytes");
  if (data_size % p.data_block_size || data_size == 0)
    throw_bad_input(fmt::format("image size {} is not a multiple of the data block size {}",
                                data_size, p.data_block_size),
                    what);
}

void verity_derive_defaults(VerityParams& params, std::string_view head, uint64_t size) {
  if (params.salt.empty()) {
    std::string h(head.substr(0, std::min<size_t>(head.size(), kVeritySaltHead)));
    h += std::to_string(size);
    params.salt = derive_bytes("integral-verity-salt", h, 32);
  }
  if (params.uuid == std::array<uint8_t, 16>{}) {
    auto u = derive_bytes(
        "integral-verity-uuid",
        std::string_view(reinterpret_cast<const char*>(params.salt.data()), params.salt.size()),
        16);
    std::copy(u.begin(), u.end(), params.uuid.begin());
    params.uuid[6] = static_cast<uint8_t>((params.uuid[6] & 0x0f) | 0x80);
    params.uuid[8] = static_cast<uint8_t>((params.uuid[8] & 0x3f) | 0x80);
  }
}

class VerityStream::Impl {
 public:
  Impl(uint64_t data_size, int hash_fd, uint64_t hash_offset, const VerityParams& p,
       std::string what)
      : p_(p), fd_(hash_fd), base_(hash_offset), what_(std::move(what)), hasher_(p.alg, p.salt) {
    verity_check(data_size, p, what_);
    dsize_ = digest_size(p.alg);
    slot_ = 1;
    while (slot_ < dsize_) slot_ <<= 1;  // format 1 pads every digest to a power of two
    per_block_ = p.hash_block_size / slot_;
    int bits = 0;
    while ((uint64_t{1} << (bits + 1)) <= per_block_) ++bits;
    r_.data_blocks = data_size / p.data_block_size;
    // Levels: the smallest L with (data_blocks - 1) >> (bits * L) == 0, at least one.
    int levels = 0;
    while (levels * bits < 64 && ((r_.data_blocks - 1) >> (bits * levels)) != 0) ++levels;
    if (levels == 0) levels = 1;
    uint64_t n = r_.data_blocks;
    for (int i = 0; i < levels; ++i) {
      n = (n + per_block_ - 1) / per_block_;
      r_.level_blocks.push_back(n);
    }
    // Level offsets (in bytes from the hash offset): the top level first.
    level_off_.resize(static_cast<size_t>(levels));
    uint64_t off = p.superblock ? p.hash_block_size : 0;
    for (int i = levels - 1; i >= 0; --i) {
      level_off_[static_cast<size_t>(i)] = off;
      off += r_.level_blocks[static_cast<size_t>(i)] * p.hash_block_size;
    }
    r_.hash_bytes = off;
    out_.assign(p.hash_block_size, 0);
    partial_.reserve(p.data_block_size);
    std::vector<uint8_t> zero(p.data_block_size, 0);
    zero_hash_.resize(dsize_);
    hasher_.hash(zero.data(), zero.size(), zero_hash_.data());
  }

  void update(const uint8_t* d, size_t n) {
    const size_t bs = p_.data_block_size;
    if (!partial_.empty()) {
      size_t take = std::min(n, bs - partial_.size());
      partial_.insert(partial_.end(), d, d + take);
      d += take;
      n -= take;
      if (partial_.size() < bs) return;
      leaf(partial_.data());
      partial_.clear();
    }
    for (; n >= bs; d += bs, n -= bs) leaf(d);
    partial_.assign(d, d + n);
  }

  void zeros(uint64_t n) {
    const size_t bs = p_.data_block_size;
    static const std::vector<uint8_t> z(512u << 10, 0);
    if (!partial_.empty()) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(n, bs - partial_.size()));
      update(z.data(), take);
      n -= take;
    }
    for (; n >= bs; n -= bs) put0(zero_hash_.data());
    if (n) update(z.data(), static_cast<size_t>(n));
  }

  VerityResult finish() {
    if (fed_ != r_.data_blocks || !partial_.empty())
      throw_environment(fmt::format("verity: {} of {} data blocks hashed", fed_, r_.data_blocks),
                        what_);
    if (fill_) flush0();
    const auto levels = r_.level_blocks.size();
    std::vector<uint8_t> in(p_.hash_block_size);
    // Upper levels from the level below (read back from the hash file, not the image).
    for (size_t lvl = 1; lvl < levels; ++lvl) {
      std::fill(out_.begin(), out_.end(), 0);
      uint64_t out_index = 0;
      size_t fill = 0;
      for (uint64_t b = 0; b < r_.level_blocks[lvl - 1]; ++b) {
        pread_all(fd_, in.data(), in.size(), base_ + level_off_[lvl - 1] + b * p_.hash_block_size,
                  what_);
        hasher_.hash(in.data(), in.size(), out_.data() + fill * slot_);
        if (++fill == per_block_) {
          pwrite_all(fd_, out_.data(), out_.size(),
                     base_ + level_off_[lvl] + out_index * p_.hash_block_size, what_);
          std::fill(out_.begin(), out_.end(), 0);
          fill = 0;
          ++out_index;
        }
      }
      if (fill)
        pwrite_all(fd_, out_.data(), out_.size(),
                   base_ + level_off_[lvl] + out_index * p_.hash_block_size, what_);
    }
    // Root: H(salt ‖ the single top block).
    pread_all(fd_, in.data(), in.size(), base_ + level_off_[levels - 1], what_);
    std::vector<uint8_t> root(dsize_);
    hasher_.hash(in.data(), in.size(), root.data());
    r_.root = Digest(p_.alg, root);
    if (p_.superblock) {
      std::vector<uint8_t> sb(p_.hash_block_size, 0);
      auto put32 = [&](size_t at, uint32_t v) { std::memcpy(&sb[at], &v, 4); };
      std::memcpy(&sb[0], "verity\0\0", 8);
      put32(8, 1);   // version
      put32(12, 1);  // hash type: normal
      std::memcpy(&sb[16], p_.uuid.data(), 16);
      std::string alg(hash_alg_name(p_.alg));
      std::memcpy(&sb[32], alg.data(), std::min<size_t>(alg.size(), 31));
      put32(64, p_.data_block_size);
      put32(68, p_.hash_block_size);
      std::memcpy(&sb[72], &r_.data_blocks, 8);
      auto salt_size = static_cast<uint16_t>(p_.salt.size());
      std::memcpy(&sb[80], &salt_size, 2);
      std::memcpy(&sb[88], p_.salt.data(), p_.salt.size());
      pwrite_all(fd_, sb.data(), sb.size(), base_, what_);
    }
    return r_;
  }

 private:
  void leaf(const uint8_t* block) {
    hasher_.hash(block, p_.data_block_size, out_.data() + fill_ * slot_);
    advance();
  }
  void put0(const uint8_t* digest) {
    std::memcpy(out_.data() + fill_ * slot_, digest, dsize_);
    advance();
  }
  void advance() {
    if (++fed_ > r_.data_blocks) throw_environment("verity: more data than the image size", what_);
    if (++fill_ == per_block_) flush0();
  }
  void flush0() {
    pwrite_all(fd_, out_.data(), out_.size(),
               base_ + level_off_[0] + out_index_ * p_.hash_block_size, what_);
    std::fill(out_.begin(), out_.end(), 0);
    fill_ = 0;
    ++out_index_;
  }

  VerityParams p_;
  int fd_;
  uint64_t base_;
  std::string what_;
  SaltedHasher hasher_;
  size_t dsize_ = 0, slot_ = 0;
  uint64_t per_block_ = 0;
  VerityResult r_;
  std::vector<uint64_t> level_off_;
  std::vector<uint8_t> out_, partial_, zero_hash_;
  uint64_t out_index_ = 0, fed_ = 0;
  size_t fill_ = 0;
};

VerityStream::VerityStream(uint64_t data_size, int hash_fd, uint64_t hash_offset,
                           const VerityParams& params, std::string what)
    : impl_(std::make_unique<Impl>(data_size, hash_fd, hash_offset, params, std::move(what))) {}
VerityStream::~VerityStream() = default;
void VerityStream::update(std::span<const uint8_t> data) {
  impl_->update(data.data(), data.size());
}
void VerityStream::zeros(uint64_t n) {
  impl_->zeros(n);
}
VerityResult VerityStream::finish() {
  return impl_->finish();
}

VerityResult verity_format(int data_fd, uint64_t data_size, int hash_fd, uint64_t hash_offset,
                           const VerityParams& p, const std::string& what) {
  VerityStream s(data_size, hash_fd, hash_offset, p, what);
  std::vector<uint8_t> buf(4u << 20);
  for (uint64_t off = 0; off < data_size; off += buf.size()) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), data_size - off));
    pread_all(data_fd, buf.data(), n, off, what);
    s.update(std::span(buf.data(), n));
  }
  return s.finish();
}

}  // namespace integral::image

#include <fcntl.h>
#include <sys/stat.h>

namespace integral::image {

VerityFileResult verity_file(const std::string& image, const std::string& hash_file,
                             std::optional<uint64_t> hash_offset, VerityParams params) {
  const bool in_place = hash_file.empty();
  // O_NONBLOCK: opening a FIFO must not wait for a writer before it is refused below.
  const Fd owned(::open(image.c_str(), (in_place ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK));
  const int fd = owned.get();
  if (fd < 0) {
    if (errno == EISDIR) throw_bad_input("not a regular file (a directory)", image);
    throw_bad_input(fmt::format("cannot open: {}", std::strerror(errno)), image);
  }
  VerityFileResult out;
  out.image = image;
  out.hash_file = hash_file;
  uint64_t size = 0;
  bool appended = false;  // bytes written past the image's end, to cut off on failure
  try {
    struct stat st {};
    if (::fstat(fd, &st) != 0)
      throw_environment(fmt::format("cannot stat: {}", std::strerror(errno)), image);
    // The data size is the file size, which only a regular file has (a device's st_size is 0);
    // and a tree written "into" a FIFO or a device would not be a file beside the data.
    if (!S_ISREG(st.st_mode)) throw_bad_input("not a regular file", image);
    size = static_cast<uint64_t>(st.st_size);
    if (params.salt.empty()) {
      std::string head(static_cast<size_t>(std::min<uint64_t>(size, kVeritySaltHead)), '\0');
      pread_all(fd, reinterpret_cast<uint8_t*>(head.data()), head.size(), 0, image);
      verity_derive_defaults(params, head, size);
    } else {
      verity_derive_defaults(params, {}, size);
    }
    verity_check(size, params, image);
    if (in_place) {
      // The data hashed is the whole file, [0, size): a tree starting below its end would
      // overwrite data it has just hashed (veritysetup refuses the same overlap).
      uint64_t off = hash_offset.value_or(size);
      if (off < size)
        throw_bad_input(fmt::format("hash offset {} is below the end of the data ({} bytes): the "
                                    "tree would overwrite it",
                                    off, size),
                        image, off);
      if (off % params.hash_block_size)
        throw_bad_input(fmt::format("hash offset {} is not a multiple of the hash block size {}",
                                    off, params.hash_block_size),
                        image, off);
      out.hash_offset = off;
      appended = true;
      out.result = verity_format(fd, size, fd, off, params, image);
      if (::fsync(fd) != 0)
        throw_environment(fmt::format("cannot write: {}", std::strerror(errno)), image);
    } else {
      AtomicFile hf(hash_file);
      out.result = verity_format(fd, size, hf.fd(), 0, params, image);
      hf.commit();
    }
  } catch (...) {
    if (appended && ::ftruncate(fd, static_cast<off_t>(size)) == 0) ::fsync(fd);
    throw;
  }
  out.params = params;
  return out;
}

VerityFileWriter::VerityFileWriter(std::string image, AtomicFile& out, VerityParams params,
                                   uint64_t size)
    : size_(size), file_(out) {
  out_.image = std::move(image);
  out_.hash_file = out.path().string();
  out_.params = std::move(params);
  verity_check(size_, out_.params, out_.image);
  if (!out_.params.salt.empty()) start();
}

VerityFileWriter::~VerityFileWriter() = default;

void VerityFileWriter::start() {
  verity_derive_defaults(out_.params, head_, size_);
  stream_ = std::make_unique<VerityStream>(size_, file_.fd(), 0, out_.params, out_.image);
  if (!head_.empty())
    stream_->update(std::span(reinterpret_cast<const uint8_t*>(head_.data()), head_.size()));
  head_.clear();
}

void VerityFileWriter::update(std::span<const uint8_t> data) {
  if (!stream_) {
    // The default salt needs the first 64 KiB of the image: hold them until then.
    size_t want = static_cast<size_t>(std::min<uint64_t>(size_, kVeritySaltHead)) - head_.size();
    size_t take = std::min(want, data.size());
    head_.append(reinterpret_cast<const char*>(data.data()), take);
    data = data.subspan(take);
    if (head_.size() < std::min<uint64_t>(size_, kVeritySaltHead)) return;
    start();
  }
  if (!data.empty()) stream_->update(data);
}

void VerityFileWriter::zeros(uint64_t n) {
  if (!stream_) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(size_, kVeritySaltHead)) - head_.size();
    size_t take = static_cast<size_t>(std::min<uint64_t>(want, n));
    head_.append(take, '\0');
    n -= take;
    if (head_.size() < std::min<uint64_t>(size_, kVeritySaltHead)) return;
    start();
  }
  if (n) stream_->zeros(n);
}

VerityFileResult VerityFileWriter::finish() {
  if (!stream_) start();
  out_.result = stream_->finish();
  stream_.reset();
  return out_;
}

}  // namespace integral::image
