#!/usr/bin/env bash
# Checks that the manual pages in docs/ describe the CLI the binary has: every (sub)command that
# `integral --help` lists (recursively) has its page or section, no page documents a command that
# does not exist, and the long options each `--help` lists equal the options the page documents.
# Convention (docs/integral.md says it too): a command's page is docs/integral-CMD.md; its
# options are the definition-list items whose term starts with a backtick and a dash
# ("`--json`", "`-o`, `--output` *FILE*"; the next line starts with ":") in its "# OPTIONS"
# section. A subcommand is either its own page (docs/integral-CMD-SUB.md) or a
# "## integral CMD SUB" section of its parent's page, its options the same kind of items up to
# the next heading of level 1 or 2. The top-level options belong to docs/integral.md. --help is
# everywhere and is not listed.
# usage: scripts/check-docs.sh BUILD_DIR [DOCS_DIR]     (exit 0 ok, 1 mismatch, 2 usage)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: check-docs.sh BUILD_DIR [DOCS_DIR]}
docs=${2:-$top/docs}
bin=$build/integral
[[ -x $bin ]] || { echo "check-docs: no binary $bin" >&2; exit 2; }
[[ -d $docs ]] || { echo "check-docs: no folder $docs" >&2; exit 2; }

fail=0
err() {
  echo "check-docs: $*" >&2
  fail=1
}

# CLI11's help: option lines start with two spaces and a dash ("  -o,--output TEXT ..."), the
# first word naming the option; subcommands follow a "Subcommands:" line, two spaces and a name.
help_options() { "$bin" "$@" --help | sed -n 's/^  \(-[^ ]*\).*/\1/p' | tr ',' '\n' | grep '^--' | grep -vx -- '--help' | sort -u || true; }
help_subcommands() { "$bin" "$@" --help | awk '/^Subcommands:/ { s = 1; next } /^$/ { s = 0 } s && /^  [a-z]/ { print $1 }'; }

# Options a page documents: definition-list items (a term line starting with "`-", the next line
# starting with ":") in "# OPTIONS" (scope "page") or in "## integral CMD SUB" (scope "CMD SUB");
# prints the long options of the scope asked for.
page_options() {
  local page=$1 want=$2
  awk -v want="$want" '
    /^# / { scope = ($0 == "# OPTIONS") ? "page" : ""; next }
    /^## / {
      h = $0; gsub(/`/, "", h); sub(/^## +/, "", h)
      if (h ~ /^integral /) { sub(/^integral +/, "", h); scope = h } else if (scope != "page") scope = ""
      next
    }
    /^:/ && prev ~ /^`-/ && scope == want {
      line = prev
      while (match(line, /--[A-Za-z0-9][A-Za-z0-9-]*/)) {
        print substr(line, RSTART, RLENGTH); line = substr(line, RSTART + RLENGTH)
      }
    }
    { prev = $0 }' "$page" | grep -vx -- '--help' | sort -u || true
}

compare() {  # compare WHAT PAGE SCOPE CMD...
  local what=$1 page=$2 scope=$3
  shift 3
  local want have
  want=$(help_options "$@")
  have=$(page_options "$page" "$scope")
  local missing extra
  missing=$(comm -23 <(echo "$want") <(echo "$have") | sed '/^$/d')
  extra=$(comm -13 <(echo "$want") <(echo "$have") | sed '/^$/d')
  [[ -z $missing ]] || err "$what: ${page#"$docs"/} does not document $(paste -sd' ' <<<"$missing")"
  [[ -z $extra ]] || err "$what: ${page#"$docs"/} documents $(paste -sd' ' <<<"$extra"), which --help does not list"
}

checked_pages=("$docs/integral.md")
[[ -f $docs/integral.md ]] || err "integral: no page integral.md"
[[ -f $docs/integral.md ]] && compare "integral" "$docs/integral.md" page
mapfile -t commands < <(help_subcommands)
((${#commands[@]} > 0)) || err "integral --help lists no subcommands"
for cmd in "${commands[@]}"; do
  page=$docs/integral-$cmd.md
  if [[ ! -f $page ]]; then
    err "integral $cmd: no page integral-$cmd.md"
    continue
  fi
  checked_pages+=("$page")
  grep -q '^# NAME$' "$page" || err "integral $cmd: integral-$cmd.md has no NAME section"
  compare "integral $cmd" "$page" page "$cmd"
  mapfile -t subs < <(help_subcommands "$cmd")
  for sub in "${subs[@]}"; do
    own=$docs/integral-$cmd-$sub.md
    if [[ -f $own ]]; then
      checked_pages+=("$own")
      compare "integral $cmd $sub" "$own" page "$cmd" "$sub"
    elif grep -qE "^## \`?integral $cmd $sub\`?$" "$page"; then
      compare "integral $cmd $sub" "$page" "$cmd $sub" "$cmd" "$sub"
    else
      err "integral $cmd $sub: neither integral-$cmd-$sub.md nor a '## integral $cmd $sub' section in integral-$cmd.md"
    fi
  done
  # A section for a subcommand the binary does not have is stale.
  while read -r s; do
    [[ -n $s ]] || continue
    printf '%s\n' "${subs[@]}" | grep -qxF "$s" || err "integral-$cmd.md documents 'integral $cmd $s', which --help does not list"
  done < <(sed -n "s/^## \`\{0,1\}integral $cmd \([a-z0-9-]*\)\`\{0,1\}$/\1/p" "$page")
done
# A page for a command the binary does not have is stale.
for page in "$docs"/integral*.md; do
  printf '%s\n' "${checked_pages[@]}" | grep -qxF "$page" || err "${page#"$docs"/}: no such command in integral --help"
done

if ((fail)); then
  echo "check-docs: FAILED (pages in $docs, binary $bin)" >&2
  exit 1
fi
echo "check-docs: ${#checked_pages[@]} pages match --help of ${#commands[@]} commands and their subcommands"
