// Ref snapshots (ref name → object id), the post-receive lines between two snapshots, and the
// durable "delivered" state a repository's hook has confirmed.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace integral::poll {

using RefMap = std::map<std::string, std::string>;  // "refs/heads/main" → 40 (or 64) hex

// What git's post-receive hook gets for one ref: "<old> <new> <ref>", with the all-zero id
// for a creation (old) or a deletion (new).
struct RefUpdate {
  std::string old_id, new_id, ref;
  bool operator==(const RefUpdate&) const = default;
};

std::string zero_id(size_t hex_len = 40);
bool is_zero_id(std::string_view id);

// Every ref whose object differs between `before` and `after`, in ref-name order.
std::vector<RefUpdate> diff_refs(const RefMap& before, const RefMap& after);

// post-receive stdin: one "old new ref\n" line per update, no blank line.
std::string post_receive_lines(const std::vector<RefUpdate>& updates);

// A ref name pattern as in a refspec: "refs/heads/*" (one '*' at most) or an exact name.
bool ref_matches(std::string_view pattern, std::string_view ref);
bool ref_matches_any(const std::vector<std::string>& patterns, std::string_view ref);

// Parses "<id> <ref>" lines (git for-each-ref --format='%(objectname) %(refname)') or
// "<id>\t<ref>" lines (git ls-remote); peeled "^{}" entries are skipped; only refs matching
// `patterns` are kept. `source` names the input in errors.
RefMap parse_ref_lines(std::string_view text, const std::vector<std::string>& patterns,
                       std::string_view source);

// The delivered state file: a header line, then "<id> <ref>" lines. Ref names cannot hold
// spaces or newlines (git check-ref-format), so the format is unambiguous.
std::string format_state(const RefMap& refs);
RefMap parse_state(std::string_view text, const std::string& file);

// Reads the state, or returns false when the file does not exist.
bool load_state(const std::filesystem::path& file, RefMap& out);
// temp file + fsync + rename + fsync of the directory: after return the state survives a crash.
void store_state(const std::filesystem::path& file, const RefMap& refs);

}  // namespace integral::poll
