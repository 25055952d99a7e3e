#include "integral/image/ext_plan.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#include "integral/image/ext_dir.h"

namespace integral::image {

namespace {

class Planner {
 public:
  explicit Planner(const Tree& tree) : tree_(tree) {}

  std::vector<Node> plan(const Entry& lost_found) {
    nodes_.resize(12);
    nodes_[EXT2_ROOT_INO].e = &tree_.root();
    nodes_[EXT2_ROOT_INO].parent = EXT2_ROOT_INO;
    nodes_[EXT2_ROOT_INO].links = 2;
    ino_of_[""] = EXT2_ROOT_INO;
    nodes_[11].e = &lost_found;
    ino_of_["lost+found"] = 11;
    number(EXT2_ROOT_INO, "");
    return std::move(nodes_);
  }

 private:
  void number(uint32_t dir_ino, const std::string& dir_path) {
    const Entry& dir = *nodes_[dir_ino].e;
    std::vector<std::pair<uint32_t, std::string>> subdirs;
    auto names = dir.children;
    if (dir_path.empty() && !tree_.find("lost+found"))
      names.insert(std::upper_bound(names.begin(), names.end(), std::string("lost+found")),
                   "lost+found");
    for (const auto& name : names) {
      std::string path = dir_path.empty() ? name : dir_path + "/" + name;
      const Entry* e = tree_.find(path);
      if (!e) e = nodes_[11].e;  // the lost+found we add
      const std::string& key = e->link_to.empty() ? path : e->link_to;
      uint32_t ino;
      if (auto it = ino_of_.find(key); it != ino_of_.end()) {
        ino = it->second;
      } else {
        ino = static_cast<uint32_t>(nodes_.size());
        nodes_.emplace_back();
        nodes_[ino].e = e->link_to.empty() ? e : tree_.find(e->link_to);
        ino_of_[key] = ino;
      }
      Node& n = nodes_[ino];
      EntryType t = n.e->type;
      if (t == EntryType::kDirectory) {
        n.links = 2;
        n.parent = dir_ino;
        nodes_[dir_ino].links++;
        subdirs.emplace_back(ino, path);
      } else {
        n.links++;
      }
      nodes_[dir_ino].dirents.push_back({name, ino, t});
    }
    for (const auto& [ino, path] : subdirs) number(ino, path);
  }

  const Tree& tree_;
  std::vector<Node> nodes_;
  std::unordered_map<std::string, uint32_t> ino_of_;
};

}  // namespace

std::vector<Node> plan_inodes(const Tree& tree, const Entry& lost_found) {
  return Planner(tree).plan(lost_found);
}

uint64_t estimate_blocks(const std::vector<Node>& nodes, const ExtOptions& opts, uint64_t inodes) {
  uint64_t content = 0;
  for (size_t ino = EXT2_ROOT_INO; ino < nodes.size(); ++ino) {
    const Node& n = nodes[ino];
    if (!n.e) continue;
    if (n.e->type == EntryType::kRegular) {
      uint64_t b = div_up(n.e->content.size, kBlockSize);
      content += b + (opts.kind == ExtKind::kExt4 ? 0 : b / 1000 + (b > 12 ? 2 : 0));
    } else if (n.e->type == EntryType::kDirectory) {
      size_t bytes = 24;
      for (const auto& d : n.dirents) bytes += rec_len_for(d.name.size());
      content += div_up(bytes, kBlockSize - 12) + (bytes > kBlockSize - 12 ? 3 : 1);
    } else if (n.e->type == EntryType::kSymlink && n.e->target.size() >= 60) {
      content += 1;
    }
    size_t xa = 0;
    for (const auto& [k, v] : n.e->xattrs) xa += k.size() + v.size() + 20;
    if (xa > 96) content += 1;
  }
  uint64_t itable = div_up(inodes * kInodeSize, kBlockSize);
  uint64_t total =
      static_cast<uint64_t>(static_cast<double>(content) * (1 + kSizeMargin)) + 256 + itable;
  uint64_t groups = div_up(total, 32768);
  total += groups * 4 + 64;
  if (opts.kind != ExtKind::kExt2) {
    total = std::max<uint64_t>(total, 4096);
    int j = ext2fs_default_journal_size(total);
    total += j > 0 ? static_cast<uint64_t>(j) : 1024;
  } else {
    total = std::max<uint64_t>(total, 512);
  }
  return total;
}

}  // namespace integral::image
