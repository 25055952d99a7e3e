# Helpers for the TXT tests (source after common.sh).

# txt_vector LETTER: sets the variable LETTER to the real launch record LETTER_*.txt of
# tests/data/txt (see tests/data/README.md); the test fails without it.
txt_vector() {
  local v
  v=$(ls "$INTEGRAL_SOURCE_DIR"/tests/data/txt/"$1"_*.txt 2>/dev/null | head -1)
  if [[ -z $v ]]; then
    bad "vector $1 missing"
    finish
    exit 1
  fi
  printf -v "$1" '%s' "$v"
}
