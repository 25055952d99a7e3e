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

# example_verify OUTDIR: integral verify of the guest's PCRs (every PCR but 10 and 17-22, four
# banks) and of its event log (the same but 16, which the initramfs extends without logging)
# against OUTDIR/prediction.json; writes verify-pcrs.txt, verify-log.txt and verify-log.json
# and sets `rc` and `lrc` to the two exit statuses. Needs `integral`.
example_verify() {
  local o=$1 banks=(sha1 sha256 sha384 sha512) sel logsel
  sel=$(printf '+%s:0,1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,23' "${banks[@]}")
  sel=${sel#+}
  logsel=$(printf '+%s:0,1,2,3,4,5,6,7,8,9,11,12,13,14,15,23' "${banks[@]}")
  logsel=${logsel#+}
  rc=0
  "$integral" verify --expect "$o/prediction.json" --pcrs "$o/observed.yaml" --select "$sel" \
    >"$o/verify-pcrs.txt" || rc=$?
  lrc=0
  "$integral" verify --log "$o/eventlog.bin" --expect "$o/prediction.json" \
    --pcrs "$o/observed.yaml" --select "$logsel" >"$o/verify-log.txt" || lrc=$?
  "$integral" verify --log "$o/eventlog.bin" --expect "$o/prediction.json" \
    --pcrs "$o/observed.yaml" --select "$logsel" --json >"$o/verify-log.json" || true
}

# example_table OUTDIR SOURCE-FUNCTION PCR...: per PCR, where its prediction comes from (the
# function's output for the PCR), the sha256 values predicted (predicted.yaml) and observed
# (observed.yaml), and the verdicts of the value and of the log's events (verify-log.json).
example_table() {
  local o=$1 source_fn=$2 p pv ov verdict lv
  shift 2
  sha256_of() { # the sha256 bank's value in tpm2_pcrread's layout, lower case
    awk -v p="$1" '$1 == "sha256:" { s = 1; next } /^  [a-z]/ { s = 0 }
      s { sub(/:/, " "); if ($1 == p) { sub(/^0x/, "", $2); print tolower($2) } }' "$2"
  }
  printf '%-3s %-26s %-64s %-8s %s\n' PCR source "sha256 predicted / observed" value "log events"
  for p in "$@"; do
    pv=$(sha256_of "$p" "$o/predicted.yaml")
    ov=$(sha256_of "$p" "$o/observed.yaml")
    verdict=MATCH
    [[ $pv == "$ov" ]] || verdict=MISMATCH
    lv=$(jq -r --argjson p "$p" 'if ([.prediction.divergences[] | select(.pcr == $p)] | length)
      == 0 then "MATCH" else "DIFFERS" end' "$o/verify-log.json")
    ((p == 16)) && lv="(not logged)"
    printf '%-3s %-26s %s\n%-30s %s %-8s %s\n' "$p" "$("$source_fn" "$p")" "${pv#0x}" "" \
      "${ov#0x}" "$verdict" "$lv"
  done
}
