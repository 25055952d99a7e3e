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
  // Indexed by EntryType, in its declaration order.
  constexpr std::string_view kLetters = "fdlcbps";
  static_assert(static_cast<size_t>(EntryType::kSocket) == kLetters.size() - 1);
  const auto i = static_cast<size_t>(t);
  return i < kLetters.size() ? kLetters[i] : '?';
}

Tree::Tree() {
  Entry root;
  root.type = EntryType::kDirectory;
  root.mode = 0755;
  entries_.emplace("", std::move(root));
}
void Tree::set_spill_fd(Fd fd) {
  spill_ = std::move(fd);
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

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

void walk(Tree& tree, const std::filesystem::path& host, const std::string& rel,
          std::unordered_map<DevIno, std::string, DevInoHash>& links) {
  std::vector<std::string> names;
  {
    std::unique_ptr<DIR, DirCloser> d(::opendir(host.c_str()));
    if (!d)
      throw_environment(fmt::format("cannot read directory: {}", std::strerror(errno)),
                        host.string());
    while (auto* de = ::readdir(d.get())) {
      std::string n = de->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
  }
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

Fd make_spill_file() {
  std::string dir = ::getenv("TMPDIR") ? ::getenv("TMPDIR") : "/tmp";
  Fd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (fd) return fd;
  std::string tmpl = dir + "/integral-spill.XXXXXX";
  fd.reset(::mkstemp(tmpl.data()));
  if (!fd)
    throw_environment(fmt::format("cannot create spill file: {}", std::strerror(errno)), dir);
  ::unlink(tmpl.c_str());
  return fd;
}

// Reads a tar's entries into a tree, regular files' bytes into its spill file.
class TarReader {
 public:
  explicit TarReader(const std::filesystem::path& tar);
  // Reads the next entry into the tree; false at the end of the archive.
  bool next();
  Tree take() { return std::move(tree_); }

 private:
  // Where the entry being read stands, for messages.
  [[noreturn]] void bad(const std::string& message) const {
    throw_bad_input(message, src_, offset_);
  }
  void read_xattrs(archive_entry* ae, const std::string& path, Entry& e) const;
  void add_hard_link(Entry e, const char* hl);
  void read_type(archive_entry* ae, mode_t ft, Entry& e) const;
  void spill(archive_entry* ae, Entry& e);

  const std::string src_;
  std::unique_ptr<archive, ArchiveCloser> a_;
  Tree tree_;
  uint64_t spill_end_ = 0;
  uint64_t offset_ = 0;  // of the entry being read
};

TarReader::TarReader(const std::filesystem::path& tar)
    : src_(tar.string()), a_(archive_read_new()) {
  archive_read_support_filter_all(a_.get());
  archive_read_support_format_tar(a_.get());
  archive_read_support_format_gnutar(a_.get());
  if (archive_read_open_filename(a_.get(), src_.c_str(), 1 << 16) != ARCHIVE_OK)
    throw_bad_input(fmt::format("cannot open tar: {}", archive_error(a_.get())), src_);
  tree_.set_spill_fd(make_spill_file());
}

void TarReader::read_xattrs(archive_entry* ae, const std::string& path, Entry& e) const {
  archive_entry_xattr_reset(ae);
  const char* xname = nullptr;
  const void* xval = nullptr;
  size_t xlen = 0;
  while (archive_entry_xattr_next(ae, &xname, &xval, &xlen) == ARCHIVE_OK) {
    std::string n = xname ? xname : "";
    if (n.empty() || n.size() > 255 || n.find('.') == std::string::npos)
      bad(fmt::format("'{}': bad xattr name '{}'", path, n));
    if (xlen > kMaxXattrValue)
      bad(fmt::format("'{}': xattr {} larger than {} bytes", path, n, kMaxXattrValue));
    e.xattrs[n] = std::string(static_cast<const char*>(xval), xlen);
  }
}

void TarReader::add_hard_link(Entry e, const char* hl) {
  std::string target = Tree::normalize(hl, false, src_, offset_);
  const Entry* t = tree_.find(target);
  if (!t) bad(fmt::format("'{}': hard link to missing '{}'", e.path, target));
  if (t->type != EntryType::kRegular)
    bad(fmt::format("'{}': hard link to non-file '{}'", e.path, target));
  e.type = EntryType::kRegular;
  e.link_to = t->link_to.empty() ? target : t->link_to;
  tree_.add(std::move(e), src_, offset_);
}

// A list of cases, one per tar entry type.
void TarReader::read_type(archive_entry* ae, mode_t ft, Entry& e) const {
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
        bad(fmt::format("'{}': symlink target empty or too long", e.path));
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
      bad(fmt::format("'{}': unknown entry type", e.path));
  }
}

// Copies a regular file's bytes to the end of the spill file.
void TarReader::spill(archive_entry* ae, Entry& e) {
  if (!archive_entry_size_is_set(ae) || archive_entry_size(ae) < 0)
    bad(fmt::format("'{}': no size", e.path));
  auto size = static_cast<uint64_t>(archive_entry_size(ae));
  // Block-aligned, so the writer can find the spill file's holes per 4 KiB block.
  spill_end_ = (spill_end_ + 4095) & ~uint64_t{4095};
  e.content.spill_offset = spill_end_;
  e.content.size = size;
  const void* buf = nullptr;
  size_t len = 0;
  la_int64_t off = 0;
  for (;;) {
    int rr = archive_read_data_block(a_.get(), &buf, &len, &off);
    if (rr == ARCHIVE_EOF) break;
    if (rr != ARCHIVE_OK && rr != ARCHIVE_WARN)
      bad(fmt::format("'{}': {}", e.path, archive_error(a_.get())));
    if (off < 0 || static_cast<uint64_t>(off) > size || len > size - static_cast<uint64_t>(off))
      bad(fmt::format("'{}': data beyond the entry's size", e.path));
    // Sparse gaps stay holes in the spill file and read back as zeros.
    pwrite_all(tree_.spill_fd(), buf, len, spill_end_ + static_cast<uint64_t>(off), "spill file");
  }
  spill_end_ += size;
  if (::ftruncate(tree_.spill_fd(), static_cast<off_t>(spill_end_)) != 0)
    throw_environment(fmt::format("cannot grow spill file: {}", std::strerror(errno)));
}

bool TarReader::next() {
  archive_entry* ae = nullptr;
  int r = archive_read_next_header(a_.get(), &ae);
  offset_ = static_cast<uint64_t>(archive_read_header_position(a_.get()));
  if (r == ARCHIVE_EOF) return false;
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
    bad(fmt::format("bad tar header: {}", archive_error(a_.get())));
  const char* raw = archive_entry_pathname(ae);
  if (!raw) bad("tar entry without a name");
  std::string path = Tree::normalize(raw, false, src_, offset_);
  const char* hl = archive_entry_hardlink(ae);
  mode_t ft = archive_entry_filetype(ae);
  if (path.empty()) {
    // "./": the root directory's own metadata.
    if (hl || ft != AE_IFDIR) bad("the root entry is not a directory");
    Entry* root = tree_.find("");
    root->mode = archive_entry_perm(ae) & 07777;
    root->uid = static_cast<uint32_t>(archive_entry_uid(ae));
    root->gid = static_cast<uint32_t>(archive_entry_gid(ae));
  }
  Entry e;
  e.path = path;
  e.mode = archive_entry_perm(ae) & 07777;
  e.uid = static_cast<uint32_t>(archive_entry_uid(ae));
  e.gid = static_cast<uint32_t>(archive_entry_gid(ae));
  read_xattrs(ae, path, e);
  if (path.empty()) {
    tree_.find("")->xattrs = std::move(e.xattrs);
    return true;
  }
  tree_.add_parents(path, src_, offset_);
  if (hl) {
    add_hard_link(std::move(e), hl);
    return true;
  }
  read_type(ae, ft, e);
  if (Entry* seen = tree_.find(path); seen && seen->implicit && e.type == EntryType::kDirectory) {
    // A directory listed after its contents: take its metadata, once.
    seen->implicit = false;
    seen->mode = e.mode;
    seen->uid = e.uid;
    seen->gid = e.gid;
    seen->xattrs = std::move(e.xattrs);
    return true;
  }
  if (e.type == EntryType::kRegular) spill(ae, e);
  tree_.add(std::move(e), src_, offset_);
  return true;
}

}  // namespace

Tree load_tar(const std::filesystem::path& tar) {
  TarReader reader(tar);
  while (reader.next()) {
  }
  return reader.take();
}

}  // namespace integral::image
