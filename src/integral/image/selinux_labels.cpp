#include "integral/image/selinux_labels.h"

#include <fmt/format.h>
#include <selinux/label.h>
#include <selinux/selinux.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "integral/util/error.h"

namespace integral::image {

namespace {

mode_t type_mode(EntryType t) {
  switch (t) {
    case EntryType::kRegular:
      return S_IFREG;
    case EntryType::kDirectory:
      return S_IFDIR;
    case EntryType::kSymlink:
      return S_IFLNK;
    case EntryType::kCharDev:
      return S_IFCHR;
    case EntryType::kBlockDev:
      return S_IFBLK;
    case EntryType::kFifo:
      return S_IFIFO;
    case EntryType::kSocket:
      return S_IFSOCK;
  }
  return 0;
}

struct HandleCloser {
  void operator()(selabel_handle* h) const { selabel_close(h); }
};

}  // namespace

size_t apply_file_contexts(Tree& tree, const std::string& file_contexts,
                           const std::set<std::string>& keep) {
  selinux_opt opts[] = {{SELABEL_OPT_PATH, file_contexts.c_str()}};
  std::unique_ptr<selabel_handle, HandleCloser> h(selabel_open(SELABEL_CTX_FILE, opts, 1));
  if (!h)
    throw_bad_input(fmt::format("cannot load file contexts: {}", std::strerror(errno)),
                    file_contexts);
  size_t labelled = 0;
  for (auto& [path, e] : tree.entries()) {
    if (!e.link_to.empty() || keep.count(path)) continue;
    std::string image_path = "/" + path;
    char* con = nullptr;
    if (selabel_lookup_raw(h.get(), &con, image_path.c_str(),
                           static_cast<int>(type_mode(e.type) | e.mode)) != 0) {
      if (errno == ENOENT) continue;  // no entry, or <<none>>: setfiles leaves it unlabelled
      throw_bad_input(
          fmt::format("'{}': label lookup failed: {}", image_path, std::strerror(errno)),
          file_contexts);
    }
    std::string value(con);
    freecon(con);
    value.push_back('\0');
    e.xattrs["security.selinux"] = std::move(value);
    ++labelled;
  }
  return labelled;
}

}  // namespace integral::image
