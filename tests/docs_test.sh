#!/usr/bin/env bash
# The manual pages (docs/*.md) against the binary: scripts/check-docs.sh passes on the tree's
# pages, and fails (exit 1, naming the page and what differs) on copies of them doctored the
# ways pages go stale: an option or a subcommand's section missing, an option the binary does
# not have, a command without a page, a page without a command, options outside their section.
# Then pandoc (the man pages' generator) renders every page as a man page with its name.
. "$(dirname "$0")/lib/common.sh"
src=${INTEGRAL_SOURCE_DIR:?}
check=$src/scripts/check-docs.sh
bindir=$(dirname "$INTEGRAL")

expect_pass "check-docs passes on docs/" "$check" "$bindir"

# doctored NAME EXPECTED-IN-MESSAGE EDIT: copy docs/, apply EDIT (a command run in the copy),
# and require check-docs to exit 1 with a message containing EXPECTED.
doctored() {
  local name=$1 expected=$2
  shift 2
  doctor "$WORK/$name" "$src/docs/." -- "$@"
  expect_refusal "check-docs on $name" "$expected" "$check" "$bindir" "$WORK/$name"
}
# delete_item FILE OPTION: remove the definition-list item whose term starts with `OPTION`
# (the term line and its definition, up to the next blank line).
delete_item() {
  awk -v t="\`$2\`" 'index($0, t) == 1 { skip = 1 } skip && /^$/ { skip = 0; next } !skip' "$1" >"$1.new"
  if ! grep -qF -- "\`$2\`" "$1" || grep -qF -- "\`$2\`" "$1.new"; then
    echo "delete_item: no item $2 in $1" >&2
    exit 1
  fi
  mv "$1.new" "$1"
}

doctored "an option missing from a command's page" "integral-mkfs.md does not document --verity-uuid" \
  delete_item integral-mkfs.md --verity-uuid
doctored "an option missing from a subcommand's section" "integral pe hash: integral-pe.md does not document --pad" \
  delete_item integral-pe.md --pad
doctored "an option the binary does not have" "documents --no-such-option, which --help does not list" \
  sed -i '/^# OPTIONS$/a\
\
`--no-such-option`\
:   Invented.' integral-hash.md
doctored "an option of another subcommand" "integral txt acm: integral-txt.md documents --data" \
  sed -i '/^## integral txt acm$/a\
\
`--data` *FILE*\
:   Not an option of acm.' integral-txt.md
doctored "options outside the OPTIONS section" "integral-verity.md does not document" \
  sed -i 's/^# OPTIONS$/# FLAGS/' integral-verity.md
doctored "a subcommand without its section" "integral txt lcp: neither integral-txt-lcp.md nor" \
  sed -i 's/^## integral txt lcp$/## LCP policies/' integral-txt.md
doctored "a command without its page" "integral hash: no page integral-hash.md" \
  rm integral-hash.md
doctored "a page for no command" "integral-frobnicate.md: no such command" \
  cp integral-hash.md integral-frobnicate.md
doctored "a section for no subcommand" "documents 'integral pe frobnicate'" \
  sh -c 'printf "\n## integral pe frobnicate\n\nNothing.\n" >>integral-pe.md'
# A subcommand may have its own page instead of a section: the check follows it there.
doctored "a subcommand's own page missing an option" "integral-txt-lcp.md does not document --data" \
  sh -c 'printf -- "---\ntitle: INTEGRAL-TXT-LCP\nsection: 1\n---\n\n# NAME\n\nx\n\n# OPTIONS\n\n\`--json\`\n:   JSON.\n" >integral-txt-lcp.md
         sed -i "s/^## integral txt lcp$/## LCP policies/" integral-txt.md'

# The man pages: pandoc renders each page with its title and section (.TH) and a NAME section.
if command -v pandoc >/dev/null; then
  n=0
  for md in "$src"/docs/integral*.md; do
    name=$(basename "$md" .md)
    title=${name^^}
    if man=$(pandoc --standalone --from markdown --to man "$md" 2>"$WORK/pandoc.err") &&
      [[ ! -s $WORK/pandoc.err ]] && grep -q "^\.TH \"$title\" \"1\"" <<<"$man" &&
      grep -q '^\.SH NAME$' <<<"$man"; then
      n=$((n + 1))
    else
      bad "pandoc: $name.md does not render as man page $title(1)"
      cat "$WORK/pandoc.err"
    fi
  done
  ((n > 0)) && ok "pandoc renders $n man pages"
else
  skip "pandoc not installed (scripts/deps/docs.list): man pages not rendered"
fi
finish
