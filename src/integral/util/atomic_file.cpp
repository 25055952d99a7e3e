#include "integral/util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "integral/util/error.h"
#include "integral/util/fd.h"

namespace integral {

namespace {

std::filesystem::path dir_of(const std::filesystem::path& p) {
  return p.parent_path().empty() ? std::filesystem::path(".") : p.parent_path();
}

bool names_directory(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Makes a rename in `dir` durable. File systems that cannot fsync a directory say EINVAL;
// there is nothing more to do on those.
void sync_directory(const std::filesystem::path& dir, const std::filesystem::path& what) {
  const Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd)
    throw_environment(std::string("cannot open the directory: ") + std::strerror(errno),
                      what.string());
  const int rc = ::fsync(fd.get());
  const int saved = errno;
  if (rc != 0 && saved != EINVAL)
    throw_environment(std::string("cannot sync the directory: ") + std::strerror(saved),
                      what.string());
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path dest) : dest_(std::move(dest)) {
  if (dest_.filename().empty() || names_directory(dest_))
    throw_environment("is a directory, not a file to write", dest_.string());
  tmp_ = (dir_of(dest_) / ("." + dest_.filename().string() + ".XXXXXX")).string();
  fd_.reset(::mkostemp(tmp_.data(), O_CLOEXEC));
  if (!fd_)
    throw_environment(std::string("cannot create temporary file: ") + std::strerror(errno),
                      dest_.string());
}

AtomicFile::~AtomicFile() {
  fd_.reset();
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicFile::write(std::string_view bytes) {
  if (!fd_) throw_environment("write after finish", dest_.string());
  write_all(fd_.get(), bytes.data(), bytes.size(), dest_.string());
}

void AtomicFile::finish() {
  if (finished_) return;
  // mkstemp creates 0600; outputs are ordinary files, so they get the umask's mode.
  mode_t mask = ::umask(0);
  ::umask(mask);
  bool ok = ::fchmod(fd_.get(), 0666 & ~mask) == 0 && ::fsync(fd_.get()) == 0;
  int saved = errno;
  if (const int err = fd_.close(); err != 0 && ok) {
    ok = false;
    saved = err;
  }
  if (!ok) throw_environment(std::string("cannot write: ") + std::strerror(saved), dest_.string());
  finished_ = true;
}

void AtomicFile::rename_into_place() {
  if (::rename(tmp_.c_str(), dest_.c_str()) != 0)
    throw_environment(std::string("cannot write: ") + std::strerror(errno), dest_.string());
  committed_ = true;
}

void AtomicFile::commit() {
  finish();
  rename_into_place();
  sync_directory(dir_of(dest_), dest_);
}

AtomicFile& OutputSet::add(std::filesystem::path dest) {
  auto key = [](const std::filesystem::path& p) {
    std::error_code ec;
    auto c = std::filesystem::weakly_canonical(p, ec);
    return ec ? std::filesystem::absolute(p).lexically_normal() : c;
  };
  for (const auto& f : files_)
    if (key(f->path()) == key(dest))
      throw_usage("two outputs would be written to '" + dest.string() + "'");
  files_.push_back(std::make_unique<AtomicFile>(std::move(dest)));
  return *files_.back();
}

void OutputSet::commit() {
  for (auto& f : files_) f->finish();
  // rename() onto a directory fails; find that before the first rename, not after it.
  for (auto& f : files_)
    if (names_directory(f->path()))
      throw_environment("is a directory, not a file to write", f->path().string());
  // A file already at a destination is kept under a second name (a hard link) until every
  // rename has succeeded, so a rename failing half-way can put it back instead of leaving
  // neither the old file nor the new one.
  std::vector<std::string> kept(files_.size());
  for (size_t i = 0; i < files_.size(); ++i) {
    std::string old = files_[i]->tmp_ + ".old";
    if (::link(files_[i]->path().c_str(), old.c_str()) == 0) kept[i] = std::move(old);
  }
  size_t done = 0;
  try {
    for (; done < files_.size(); ++done) files_[done]->rename_into_place();
  } catch (...) {
    for (size_t i = 0; i < files_.size(); ++i) {
      if (i < done) {
        if (kept[i].empty())
          ::unlink(files_[i]->path().c_str());
        else if (::rename(kept[i].c_str(), files_[i]->path().c_str()) == 0)
          kept[i].clear();
      }
      if (!kept[i].empty()) ::unlink(kept[i].c_str());
    }
    throw;
  }
  for (const auto& k : kept)
    if (!k.empty()) ::unlink(k.c_str());
  std::vector<std::filesystem::path> dirs;
  for (auto& f : files_) {
    auto d = std::filesystem::absolute(dir_of(f->path())).lexically_normal();
    if (std::find(dirs.begin(), dirs.end(), d) != dirs.end()) continue;
    dirs.push_back(d);
    sync_directory(d, f->path());
  }
}

}  // namespace integral
