# Shared by the examples' run.sh scripts (source it).

# example_outdir DEPS OUTDIR: unless INTEGRAL names the binary to use, builds it (the binary
# only, with the dependency list scripts/deps/DEPS.list); then makes OUTDIR and sets `out` to
# its absolute path.
example_outdir() {
  if [[ -z "${INTEGRAL:-}" ]]; then
    echo "== building integral (the binary only; scripts/test.sh builds and runs everything)"
    BUILD_TARGET=integral DEPS_LISTS="$1" CMAKE_BUILD_QUIET=1 \
      "$(dirname "${BASH_SOURCE[0]}")/../scripts/build.sh"
  fi
  mkdir -p "$2"
  out=$(cd "$2" && pwd)
}
