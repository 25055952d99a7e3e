#include "integral/image/tree.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "integral/util/error.h"
#include "integral/util/fd.h"

namespace integral::image {

char entry_type_letter(EntryType t) {
  switch (t) {
    case EntryType::kRegular:
      return 'f';
    case EntryType::kDirectory:
      return 'd';
    case EntryType::kSymlink:
      return 'l';
    case EntryType::kCharDev:
      return 'c';
    case EntryType::kBlockDev:
      return 'b';
    case EntryType::kFifo:
      return 'p';
    case EntryType::kSocket:
      return 's';
  }
  return '?';
}

Tree::Tree() {
  Entry root;
  root.type = EntryType::kDirectory;
  root.mode = 0755;
  entries_.emplace("", std::move(root));
}
Tree::Tree(Tree&& o) noexcept : entries_(std::move(o.entries_)), spill_fd_(o.spill_fd_) {
  o.spill_fd_ = -1;
}
Tree& Tree::operator=(Tree&& o) noexcept {
  if (this != &o) {
    if (spill_fd_ >= 0) ::close(spill_fd_);
    entries_ = std::move(o.entries_);
    spill_fd_ = o.spill_fd_;
    o.spill_fd_ = -1;
  }
  return *this;
}
Tree::~Tree() {
  if (spill_fd_ >= 0) ::close(spill_fd_);
}
void Tree::set_spill_fd(int fd) {
  if (spill_fd_ >= 0) ::close(spill_fd_);
  spill_fd_ = fd;
}

std::string Tree::normalize(const std::string& raw, bool allow_absolute, const std::string& what,
                            uint64_t offset) {
  if (raw.size() > kMaxPathLen)
    throw_bad_input(fmt::format("path longer than {} bytes", kMaxPathLen), what, offset);
  if (raw.find('\0') != std::string::npos)
    throw_bad_input("path contains a NUL byte", what, offset);
  if (!raw.empty() && raw[0] == '/' && !allow_absolute)
    throw_bad_input(
        fmt::format("absolute path '{}' refused (entries must stay inside the tree)", raw), what,
        offset);
  std::string out;
  size_t i = 0;
  while (i <= raw.size()) {
    size_t j = raw.find('/', i);
    if (j == std::string::npos) j = raw.size();
    std::string_view name(raw.data() + i, j - i);
    i = j + 1;
    if (name.empty() || name == ".") continue;
    if (name == "..")
      throw_bad_input(
          fmt::format("path '{}' contains '..' (entries must stay inside the tree)", raw), what,
          offset);
    if (name.size() > kMaxNameLen)
      throw_bad_input(fmt::format("name longer than {} bytes in '{}'", kMaxNameLen, raw), what,
                      offset);
    if (!out.empty()) out += '/';
    out += name;
  }
  return out;
}

namespace {

// libarchive may have no message for a failure (NULL), which fmt refuses: found by fuzz_mkfs_tar.
const char* archive_error(archive* a) {
  const char* msg = archive_error_string(a);
  return msg ? msg : "unreadable archive data";
}

}  // namespace

namespace {

std::pair<std::string, std::string> split_parent(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

}  // namespace

Entry& Tree::add(Entry e, const std::string& source, uint64_t offset) {
  if (e.path.empty()) throw_bad_input("the root cannot be added twice", source, offset);
  auto [parent_path, name] = split_parent(e.path);
  auto parent = entries_.find(parent_path);
  if (parent == entries_.end())
    throw_bad_input(fmt::format("'{}': parent directory '{}' does not exist", e.path, parent_path),
                    source, offset);
  if (parent->second.type != EntryType::kDirectory)
    throw_bad_input(fmt::format("'{}': parent '{}' is a {} not a directory (writing through it "
                                "would leave the tree)",
                                e.path, parent_path,
                                parent->second.type == EntryType::kSymlink ? "symlink" : "file"),
                    source, offset);
  if (entries_.count(e.path))
    throw_bad_input(fmt::format("duplicate entry '{}'", e.path), source, offset);
  auto& kids = parent->second.children;
  kids.insert(std::upper_bound(kids.begin(), kids.end(), name), name);
  std::string key = e.path;
  return entries_.emplace(std::move(key), std::move(e)).first->second;
}

Entry default_lost_found() {
  Entry lf;
  lf.path = "lost+found";
  lf.type = EntryType::kDirectory;
  lf.mode = 0700;
  return lf;
}

void Tree::add_parents(const std::string& path, const std::string& source, uint64_t offset) {
  size_t pos = 0;
  while ((pos = path.find('/', pos)) != std::string::npos) {
    std::string p = path.substr(0, pos++);
    if (!entries_.count(p)) {
      Entry d;
      d.path = p;
      d.type = EntryType::kDirectory;
      d.mode = 0755;
      d.implicit = true;
      add(std::move(d), source, offset);
    }
  }
}

Entry* Tree::find(const std::string& path) {
  auto it = entries_.find(path);
  return it == entries_.end() ? nullptr : &it->second;
}
const Entry* Tree::find(const std::string& path) const {
  auto it = entries_.find(path);
  return it == entries_.end() ? nullptr : &it->second;
}

// ---- directory input ----

namespace {

struct DevIno {
  dev_t dev;
  ino_t ino;
  bool operator==(const DevIno&) const = default;
};
struct DevInoHash {
  size_t operator()(const DevIno& d) const {
    return std::hash<uint64_t>()(d.dev * 1000003u ^ d.ino);
  }
};

void walk(Tree& tree, const std::filesystem::path& host, const std::string& rel,
          std::unordered_map<DevIno, std::string, DevInoHash>& links) {
  DIR* d = ::opendir(host.c_str());
  if (!d)
    throw_environment(fmt::format("cannot read directory: {}", std::strerror(errno)),
                      host.string());
  std::vector<std::string> names;
  while (auto* de = ::readdir(d)) {
    std::string n = de->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  ::closedir(d);
  // Byte order, independent of locale and of the source filesystem's readdir order.
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::filesystem::path hp = host / n;
    if (n.size() > kMaxNameLen)
      throw_bad_input(fmt::format("name longer than {} bytes", kMaxNameLen), hp.string());
    struct stat st {};
    if (::lstat(hp.c_str(), &st) != 0)
      throw_environment(fmt::format("cannot stat: {}", std::strerror(errno)), hp.string());
    Entry e;
    e.path = rel.empty() ? n : rel + "/" + n;
    e.mode = st.st_mode & 07777;
    if (S_ISREG(st.st_mode)) {
      e.type = EntryType::kRegular;
      if (st.st_nlink > 1) {
        auto [it, fresh] = links.try_emplace(DevIno{st.st_dev, st.st_ino}, e.path);
        if (!fresh) e.link_to = it->second;
      }
      e.content.host_path = hp.string();
      e.content.size = static_cast<uint64_t>(st.st_size);
    } else if (S_ISDIR(st.st_mode)) {
      e.type = EntryType::kDirectory;
    } else if (S_ISLNK(st.st_mode)) {
      e.type = EntryType::kSymlink;
      std::string t(kMaxSymlinkLen + 1, '\0');
      ssize_t len = ::readlink(hp.c_str(), t.data(), t.size());
      if (len < 0)
        throw_environment(fmt::format("cannot read link: {}", std::strerror(errno)), hp.string());
      if (static_cast<size_t>(len) > kMaxSymlinkLen)
        throw_bad_input("symlink target too long", hp.string());
      t.resize(static_cast<size_t>(len));
      e.target = std::move(t);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      e.type = S_ISCHR(st.st_mode) ? EntryType::kCharDev : EntryType::kBlockDev;
      e.major = ::major(st.st_rdev);
      e.minor = ::minor(st.st_rdev);
    } else if (S_ISFIFO(st.st_mode)) {
      e.type = EntryType::kFifo;
    } else {
      e.type = EntryType::kSocket;
    }
    tree.add(std::move(e), hp.string());
    if (S_ISDIR(st.st_mode)) walk(tree, hp, rel.empty() ? n : rel + "/" + n, links);
  }
}

}  // namespace

Tree load_directory(const std::filesystem::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    throw_bad_input(fmt::format("cannot read tree: {}", std::strerror(errno)), dir.string());
  if (!S_ISDIR(st.st_mode)) throw_bad_input("not a directory", dir.string());
  Tree tree;
  tree.find("")->mode = st.st_mode & 07777;
  std::unordered_map<DevIno, std::string, DevInoHash> links;
  walk(tree, dir, "", links);
  return tree;
}

// ---- tar input ----

namespace {

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};

int make_spill_file() {
  std::string dir = ::getenv("TMPDIR") ? ::getenv("TMPDIR") : "/tmp";
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  std::string tmpl = dir + "/integral-spill.XXXXXX";
  fd = ::mkstemp(tmpl.data());
  if (fd < 0)
    throw_environment(fmt::format("cannot create spill file: {}", std::strerror(errno)), dir);
  ::unlink(tmpl.c_str());
  return fd;
}

}  // namespace

Tree load_tar(const std::filesystem::path& tar) {
  const std::string src = tar.string();
  std::unique_ptr<archive, ArchiveCloser> a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  if (archive_read_open_filename(a.get(), src.c_str(), 1 << 16) != ARCHIVE_OK)
    throw_bad_input(fmt::format("cannot open tar: {}", archive_error(a.get())), src);
  Tree tree;
  tree.set_spill_fd(make_spill_file());
  uint64_t spill_end = 0;
  std::vector<char> zero_gap;
  for (;;) {
    archive_entry* ae = nullptr;
    int r = archive_read_next_header(a.get(), &ae);
    auto offset = static_cast<uint64_t>(archive_read_header_position(a.get()));
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
      throw_bad_input(fmt::format("bad tar header: {}", archive_error(a.get())), src, offset);
    const char* raw = archive_entry_pathname(ae);
    if (!raw) throw_bad_input("tar entry without a name", src, offset);
    std::string path = Tree::normalize(raw, false, src, offset);
    const char* hl = archive_entry_hardlink(ae);
    mode_t ft = archive_entry_filetype(ae);
    if (path.empty()) {
      // "./": the root directory's own metadata.
      if (hl || ft != AE_IFDIR) throw_bad_input("the root entry is not a directory", src, offset);
      Entry* root = tree.find("");
      root->mode = archive_entry_perm(ae) & 07777;
      root->uid = static_cast<uint32_t>(archive_entry_uid(ae));
      root->gid = static_cast<uint32_t>(archive_entry_gid(ae));
    }
    Entry e;
    e.path = path;
    e.mode = archive_entry_perm(ae) & 07777;
    e.uid = static_cast<uint32_t>(archive_entry_uid(ae));
    e.gid = static_cast<uint32_t>(archive_entry_gid(ae));
    archive_entry_xattr_reset(ae);
    const char* xname = nullptr;
    const void* xval = nullptr;
    size_t xlen = 0;
    while (archive_entry_xattr_next(ae, &xname, &xval, &xlen) == ARCHIVE_OK) {
      std::string n = xname ? xname : "";
      if (n.empty() || n.size() > 255 || n.find('.') == std::string::npos)
        throw_bad_input(fmt::format("'{}': bad xattr name '{}'", path, n), src, offset);
      if (xlen > kMaxXattrValue)
        throw_bad_input(fmt::format("'{}': xattr {} larger than {} bytes", path, n, kMaxXattrValue),
                        src, offset);
      e.xattrs[n] = std::string(static_cast<const char*>(xval), xlen);
    }
    if (path.empty()) {
      tree.find("")->xattrs = std::move(e.xattrs);
      continue;
    }
    tree.add_parents(path, src, offset);
    if (hl) {
      std::string target = Tree::normalize(hl, false, src, offset);
      const Entry* t = tree.find(target);
      if (!t)
        throw_bad_input(fmt::format("'{}': hard link to missing '{}'", path, target), src, offset);
      if (t->type != EntryType::kRegular)
        throw_bad_input(fmt::format("'{}': hard link to non-file '{}'", path, target), src, offset);
      e.type = EntryType::kRegular;
      e.link_to = t->link_to.empty() ? target : t->link_to;
      tree.add(std::move(e), src, offset);
      continue;
    }
    switch (ft) {
      case AE_IFREG:
        e.type = EntryType::kRegular;
        break;
      case AE_IFDIR:
        e.type = EntryType::kDirectory;
        break;
      case AE_IFLNK: {
        e.type = EntryType::kSymlink;
        const char* t = archive_entry_symlink(ae);
        e.target = t ? t : "";
        if (e.target.empty() || e.target.size() > kMaxSymlinkLen)
          throw_bad_input(fmt::format("'{}': symlink target empty or too long", path), src, offset);
        break;
      }
      case AE_IFCHR:
      case AE_IFBLK:
        e.type = ft == AE_IFCHR ? EntryType::kCharDev : EntryType::kBlockDev;
        e.major = static_cast<uint32_t>(archive_entry_rdevmajor(ae));
        e.minor = static_cast<uint32_t>(archive_entry_rdevminor(ae));
        break;
      case AE_IFIFO:
        e.type = EntryType::kFifo;
        break;
      case AE_IFSOCK:
        e.type = EntryType::kSocket;
        break;
      default:
        throw_bad_input(fmt::format("'{}': unknown entry type", path), src, offset);
    }
    if (Entry* seen = tree.find(path); seen && seen->implicit && e.type == EntryType::kDirectory) {
      // A directory listed after its contents: take its metadata, once.
      seen->implicit = false;
      seen->mode = e.mode;
      seen->uid = e.uid;
      seen->gid = e.gid;
      seen->xattrs = std::move(e.xattrs);
      continue;
    }
    if (e.type == EntryType::kRegular) {
      if (!archive_entry_size_is_set(ae) || archive_entry_size(ae) < 0)
        throw_bad_input(fmt::format("'{}': no size", path), src, offset);
      auto size = static_cast<uint64_t>(archive_entry_size(ae));
      // Block-aligned, so the writer can find the spill file's holes per 4 KiB block.
      spill_end = (spill_end + 4095) & ~uint64_t{4095};
      e.content.spill_offset = spill_end;
      e.content.size = size;
      const void* buf = nullptr;
      size_t len = 0;
      la_int64_t off = 0;
      for (;;) {
        int rr = archive_read_data_block(a.get(), &buf, &len, &off);
        if (rr == ARCHIVE_EOF) break;
        if (rr != ARCHIVE_OK && rr != ARCHIVE_WARN)
          throw_bad_input(fmt::format("'{}': {}", path, archive_error(a.get())), src, offset);
        if (off < 0 || static_cast<uint64_t>(off) > size || len > size - static_cast<uint64_t>(off))
          throw_bad_input(fmt::format("'{}': data beyond the entry's size", path), src, offset);
        // Sparse gaps stay holes in the spill file and read back as zeros.
        pwrite_all(tree.spill_fd(), buf, len, spill_end + static_cast<uint64_t>(off), "spill file");
      }
      spill_end += size;
      if (::ftruncate(tree.spill_fd(), static_cast<off_t>(spill_end)) != 0)
        throw_environment(fmt::format("cannot grow spill file: {}", std::strerror(errno)));
    }
    tree.add(std::move(e), src, offset);
  }
  return tree;
}

}  // namespace integral::image
