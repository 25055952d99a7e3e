#include "integral/image/verity.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "integral/crypto/evp.h"
#include "integral/util/error.h"

namespace integral::image {

namespace {

void pread_all(int fd, uint8_t* p, size_t len, uint64_t off, const std::string& what) {
  while (len) {
    ssize_t r = ::pread(fd, p, len, static_cast<off_t>(off));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      throw_environment(fmt::format("cannot read: {}", r < 0 ? std::strerror(errno) : "short file"),
                        what);
    p += r;
    len -= static_cast<size_t>(r);
    off += static_cast<uint64_t>(r);
  }
}

void pwrite_all(int fd, const uint8_t* p, size_t len, uint64_t off, const std::string& what) {
  while (len) {
    ssize_t r = ::pwrite(fd, p, len, static_cast<off_t>(off));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      throw_environment(fmt::format("cannot write hash tree: {}", std::strerror(errno)), what);
    p += r;
    len -= static_cast<size_t>(r);
    off += static_cast<uint64_t>(r);
  }
}

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

VerityResult verity_format(int data_fd, uint64_t data_size, int hash_fd, uint64_t hash_offset,
                           const VerityParams& p, const std::string& what) {
  if (!pow2(p.data_block_size) || !pow2(p.hash_block_size) || p.data_block_size < 512 ||
      p.hash_block_size < 512 || p.data_block_size > (512u << 10) ||
      p.hash_block_size > (512u << 10))
    throw_usage("verity block sizes must be powers of two from 512 to 512 KiB");
  if (p.salt.size() > 256) throw_usage("verity salt is at most 256 bytes");
  if (data_size % p.data_block_size || data_size == 0)
    throw_bad_input(fmt::format("image size {} is not a multiple of the data block size {}",
                                data_size, p.data_block_size),
                    what);
  const size_t dsize = digest_size(p.alg);
  size_t slot = 1;
  while (slot < dsize) slot <<= 1;  // format 1 pads every digest to a power of two
  const uint64_t per_block = p.hash_block_size / slot;
  int bits = 0;
  while ((uint64_t{1} << (bits + 1)) <= per_block) ++bits;
  VerityResult r;
  r.data_blocks = data_size / p.data_block_size;
  // Levels: the smallest L with (data_blocks - 1) >> (bits * L) == 0, at least one.
  int levels = 0;
  while (levels * bits < 64 && ((r.data_blocks - 1) >> (bits * levels)) != 0) ++levels;
  if (levels == 0) levels = 1;
  uint64_t n = r.data_blocks;
  for (int i = 0; i < levels; ++i) {
    n = (n + per_block - 1) / per_block;
    r.level_blocks.push_back(n);
  }
  const uint64_t sb_bytes = p.superblock ? p.hash_block_size : 0;
  // Level offsets (in bytes from hash_offset): the top level first.
  std::vector<uint64_t> level_off(static_cast<size_t>(levels));
  uint64_t off = sb_bytes;
  for (int i = levels - 1; i >= 0; --i) {
    level_off[static_cast<size_t>(i)] = off;
    off += r.level_blocks[static_cast<size_t>(i)] * p.hash_block_size;
  }
  r.hash_bytes = off;

  SaltedHasher hasher(p.alg, p.salt);
  std::vector<uint8_t> out_block(p.hash_block_size);
  // Level 0 from the data, in large reads.
  {
    const size_t chunk_blocks = std::max<size_t>(1, (4u << 20) / p.data_block_size);
    std::vector<uint8_t> buf(chunk_blocks * p.data_block_size);
    uint64_t out_index = 0;  // hash block being filled
    size_t fill = 0;
    for (uint64_t b = 0; b < r.data_blocks; b += chunk_blocks) {
      size_t cnt = static_cast<size_t>(std::min<uint64_t>(chunk_blocks, r.data_blocks - b));
      pread_all(data_fd, buf.data(), cnt * p.data_block_size, b * p.data_block_size, what);
      for (size_t i = 0; i < cnt; ++i) {
        hasher.hash(buf.data() + i * p.data_block_size, p.data_block_size,
                    out_block.data() + fill * slot);
        if (++fill == per_block) {
          pwrite_all(hash_fd, out_block.data(), out_block.size(),
                     hash_offset + level_off[0] + out_index * p.hash_block_size, what);
          std::fill(out_block.begin(), out_block.end(), 0);
          fill = 0;
          ++out_index;
        }
      }
    }
    if (fill)
      pwrite_all(hash_fd, out_block.data(), out_block.size(),
                 hash_offset + level_off[0] + out_index * p.hash_block_size, what);
  }
  // Upper levels from the level below.
  std::vector<uint8_t> in_block(p.hash_block_size);
  for (int lvl = 1; lvl < levels; ++lvl) {
    auto below = static_cast<size_t>(lvl - 1);
    std::fill(out_block.begin(), out_block.end(), 0);
    uint64_t out_index = 0;
    size_t fill = 0;
    for (uint64_t b = 0; b < r.level_blocks[below]; ++b) {
      pread_all(hash_fd, in_block.data(), in_block.size(),
                hash_offset + level_off[below] + b * p.hash_block_size, what);
      hasher.hash(in_block.data(), in_block.size(), out_block.data() + fill * slot);
      if (++fill == per_block) {
        pwrite_all(
            hash_fd, out_block.data(), out_block.size(),
            hash_offset + level_off[static_cast<size_t>(lvl)] + out_index * p.hash_block_size,
            what);
        std::fill(out_block.begin(), out_block.end(), 0);
        fill = 0;
        ++out_index;
      }
    }
    if (fill)
      pwrite_all(hash_fd, out_block.data(), out_block.size(),
                 hash_offset + level_off[static_cast<size_t>(lvl)] + out_index * p.hash_block_size,
                 what);
  }
  // Root: H(salt ‖ the single top block).
  pread_all(hash_fd, in_block.data(), in_block.size(),
            hash_offset + level_off[static_cast<size_t>(levels - 1)], what);
  std::vector<uint8_t> root(dsize);
  hasher.hash(in_block.data(), in_block.size(), root.data());
  r.root = Digest(p.alg, root);

  if (p.superblock) {
    std::vector<uint8_t> sb(p.hash_block_size, 0);
    auto put32 = [&](size_t at, uint32_t v) { std::memcpy(&sb[at], &v, 4); };
    std::memcpy(&sb[0], "verity\0\0", 8);
    put32(8, 1);   // version
    put32(12, 1);  // hash type: normal
    std::memcpy(&sb[16], p.uuid.data(), 16);
    std::string alg(hash_alg_name(p.alg));
    std::memcpy(&sb[32], alg.data(), std::min<size_t>(alg.size(), 31));
    put32(64, p.data_block_size);
    put32(68, p.hash_block_size);
    std::memcpy(&sb[72], &r.data_blocks, 8);
    auto salt_size = static_cast<uint16_t>(p.salt.size());
    std::memcpy(&sb[80], &salt_size, 2);
    std::memcpy(&sb[88], p.salt.data(), p.salt.size());
    pwrite_all(hash_fd, sb.data(), sb.size(), hash_offset, what);
  }
  return r;
}

}  // namespace integral::image

#include <fcntl.h>
#include <sys/stat.h>

namespace integral::image {

VerityFileResult verity_file(const std::string& image, const std::string& hash_file,
                             std::optional<uint64_t> hash_offset, VerityParams params) {
  int fd = ::open(image.c_str(), (hash_file.empty() ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) throw_bad_input(fmt::format("cannot open: {}", std::strerror(errno)), image);
  struct stat st {};
  ::fstat(fd, &st);
  auto size = static_cast<uint64_t>(st.st_size);
  VerityFileResult out;
  out.image = image;
  out.hash_file = hash_file;
  try {
    if (params.salt.empty()) {
      std::string head(static_cast<size_t>(std::min<uint64_t>(size, 65536)), '\0');
      pread_all(fd, reinterpret_cast<uint8_t*>(head.data()), head.size(), 0, image);
      head += std::to_string(size);
      params.salt = derive_bytes("integral-verity-salt", head, 32);
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
    if (hash_file.empty()) {
      uint64_t off = hash_offset.value_or(size);
      if (off < size || off % params.hash_block_size)
        throw_usage(
            fmt::format("--hash-offset must be at least the image size ({}) and a multiple of {}",
                        size, params.hash_block_size));
      out.hash_offset = off;
      out.result = verity_format(fd, size, fd, off, params, image);
      if (::fsync(fd) != 0)
        throw_environment(fmt::format("cannot write: {}", std::strerror(errno)), image);
    } else {
      std::filesystem::path hp(hash_file);
      std::filesystem::path dir = hp.parent_path().empty() ? "." : hp.parent_path();
      std::string tmp = (dir / ("." + hp.filename().string() + ".XXXXXX")).string();
      int hfd = ::mkstemp(tmp.data());
      if (hfd < 0)
        throw_environment(fmt::format("cannot create temporary file: {}", std::strerror(errno)),
                          hash_file);
      try {
        out.result = verity_format(fd, size, hfd, 0, params, image);
        mode_t mask = ::umask(0);
        ::umask(mask);
        if (::fchmod(hfd, 0666 & ~mask) != 0 || ::fsync(hfd) != 0 || ::close(hfd) != 0) {
          hfd = -1;
          throw_environment(fmt::format("cannot write: {}", std::strerror(errno)), hash_file);
        }
        hfd = -1;
        if (::rename(tmp.c_str(), hash_file.c_str()) != 0)
          throw_environment(fmt::format("cannot write: {}", std::strerror(errno)), hash_file);
      } catch (...) {
        if (hfd >= 0) ::close(hfd);
        ::unlink(tmp.c_str());
        throw;
      }
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  out.params = params;
  return out;
}

}  // namespace integral::image
