#include "integral/image/tree_digest.h"

#include <algorithm>
#include <vector>

#include "integral/crypto/multi_hasher.h"
#include "integral/util/bytes.h"
#include "integral/util/fd.h"

namespace integral::image {

namespace {

// Every field is length-prefixed (or fixed-size), so no two different trees serialise alike.
void field(Hasher& h, std::string_view s) {
  Bytes len;
  append_le64(len, s.size());
  h.update(len);
  h.update(s);
}

void number(Hasher& h, uint64_t v) {
  Bytes b;
  append_le64(b, v);
  h.update(b);
}

Digest content_digest(const Tree& tree, const Entry& e) {
  const HashAlg sha256[] = {HashAlg::kSha256};
  if (!e.content.host_path.empty()) return hash_file(e.content.host_path, sha256)[0];
  // A tar's bytes, in the spill file.
  Hasher h(HashAlg::kSha256);
  std::vector<uint8_t> buf(std::min<uint64_t>(e.content.size, 1u << 20));
  for (uint64_t done = 0; done < e.content.size;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), e.content.size - done));
    pread_all(tree.spill_fd(), buf.data(), n, e.content.spill_offset + done, e.path);
    h.update(std::span(buf.data(), n));
    done += n;
  }
  return h.finish();
}

}  // namespace

Digest tree_digest(const Tree& tree) {
  Hasher h(HashAlg::kSha256);
  field(h, "integral tree v1");
  for (const auto& [path, e] : tree.entries()) {
    field(h, path);
    field(h, std::string(1, entry_type_letter(e.type)));
    for (uint64_t v :
         {uint64_t{e.mode}, uint64_t{e.uid}, uint64_t{e.gid}, uint64_t{e.major}, uint64_t{e.minor}})
      number(h, v);
    field(h, e.target);
    field(h, e.link_to);
    number(h, e.xattrs.size());
    for (const auto& [name, value] : e.xattrs) {
      field(h, name);
      field(h, value);
    }
    if (e.type == EntryType::kRegular && e.link_to.empty()) {
      number(h, e.content.size);
      h.update(content_digest(tree, e).bytes());
    }
  }
  return h.finish();
}

}  // namespace integral::image
