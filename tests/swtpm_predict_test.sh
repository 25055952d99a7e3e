#!/usr/bin/env bash
# Randomized stage lists and files, measured for real on swtpm with tpm2-tools, must verify
# against integral's prediction; and changing one byte of one measured file must make verify
# fail and name the lowest PCR that file fed.
# usage: swtpm_predict_test.sh [ROUNDS] [SEED]
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/swtpm.sh"

ROUNDS=${1:-40}
SEED=${2:-20261121}
RANDOM=$SEED
echo "rounds=$ROUNDS seed=$SEED"
BANKS=(sha1 sha256 sha384 sha512)
PCRS=(0 1 2 4 7 8 9 10 11 12 14 16 23)

hex_of() { "${1}sum" -b "$2" | cut -d' ' -f1; }

for ((round = 0; round < ROUNDS; round++)); do
  R="$WORK/round$round"
  mkdir -p "$R"
  # 1-3 files: empty, small, or larger than the multi-bank threads' threshold.
  nfiles=$((1 + RANDOM % 3))
  for ((f = 0; f < nfiles; f++)); do
    case $((RANDOM % 4)) in
      0) size=0 ;;
      1) size=$((1 + RANDOM % 100)) ;;
      2) size=$((4096 + RANDOM * 3)) ;;
      3) size=$((300000 + RANDOM * 20)) ;;
    esac
    prng_bytes "$SEED-$round-$f" "$size" >"$R/file$f.img"
  done

  swtpm_start "r$round"
  toml="$R/boot.toml"
  echo 'banks = ["sha1", "sha256", "sha384", "sha512"]' >"$toml"
  declare -A file_pcrs=()
  nstages=$((1 + RANDOM % 6))
  for ((s = 0; s < nstages; s++)); do
    pcr=${PCRS[$((RANDOM % ${#PCRS[@]}))]}
    f=$((RANDOM % nfiles))
    file="$R/file$f.img"
    case $((RANDOM % 4)) in
      0) # meta-measured on TPM 1.2: tpm_extendpcr SHA-1-hashes the 40 hex characters it reads
        printf '[[stage]]\ntype = "file"\npcr = %d\npath = "file%d.img"\nmethod = "meta-measured-tpm12"\n' \
          "$pcr" "$f" >>"$toml"
        data=$(sha1sum -b "$file" | awk '{ print $1 }' | tr -d '\n')
        tpm2_pcrextend "$pcr:sha1=$(echo -n "$data" | sha1sum | cut -c1-40)"
        file_pcrs[$f]+=" $pcr"
        ;;
      1) # tpm2_pcrextend with the file's raw digest in a random non-empty subset of banks
        sel=() spec=()
        for b in "${BANKS[@]}"; do
          if ((RANDOM % 2)); then sel+=("\"$b\""); spec+=("$b=$(hex_of "$b" "$file")"); fi
        done
        if [[ ${#sel[@]} -eq 0 ]]; then sel=('"sha256"'); spec=("sha256=$(hex_of sha256 "$file")"); fi
        printf '[[stage]]\ntype = "file"\npcr = %d\npath = "file%d.img"\nmethod = "tpm2-pcrextend"\nbanks = [%s]\n' \
          "$pcr" "$f" "$(IFS=,; echo "${sel[*]}")" >>"$toml"
        tpm2_pcrextend "$pcr:$(IFS=,; echo "${spec[*]}")"
        file_pcrs[$f]+=" $pcr"
        ;;
      2) # tpm2_pcrevent: the TPM hashes the file in every bank
        printf '[[stage]]\ntype = "file"\npcr = %d\npath = "file%d.img"\nmethod = "tpm2-pcrevent"\n' \
          "$pcr" "$f" >>"$toml"
        tpm2_pcrevent "$pcr" "$file" >/dev/null
        file_pcrs[$f]+=" $pcr"
        ;;
      3) # a literal digest
        d=$(prng_bytes "$SEED-$round-$s-digest" 32 | xxd -p -c 64)
        printf '[[stage]]\ntype = "digest"\npcr = %d\nsha256 = "%s"\n' "$pcr" "$d" >>"$toml"
        tpm2_pcrextend "$pcr:sha256=$d"
        ;;
    esac
  done

  tpm2_pcrread >"$R/pcrread.yaml"
  swtpm_stop

  # The whole predicted readout equals tpm2_pcrread's, byte for byte.
  "$INTEGRAL" predict "$toml" --yaml >"$R/predicted.yaml"
  if cmp -s "$R/predicted.yaml" "$R/pcrread.yaml"; then
    ok "round $round: predict --yaml equals tpm2_pcrread ($nstages stages)"
  else
    bad "round $round: predict --yaml differs from tpm2_pcrread"
    diff "$R/predicted.yaml" "$R/pcrread.yaml" | head -20
    cat "$toml"
  fi

  if "$INTEGRAL" verify --expect "$toml" --pcrs "$R/pcrread.yaml" >"$R/verify.out" 2>&1; then
    ok "round $round: verify passes"
  else
    bad "round $round: verify failed"
    cat "$R/verify.out"
  fi

  # Through the JSON manifest as well.
  "$INTEGRAL" predict "$toml" --json -o "$R/prediction.json"
  if "$INTEGRAL" verify --expect "$R/prediction.json" --pcrs "$R/pcrread.yaml" >/dev/null; then
    ok "round $round: verify via prediction.json passes"
  else
    bad "round $round: verify via prediction.json failed"
  fi

  # Flip one byte of one measured (non-empty) file: verify must fail at its lowest PCR.
  for f in "${!file_pcrs[@]}"; do
    file="$R/file$f.img"
    size=$(stat -c %s "$file")
    [[ $size -gt 0 ]] || continue
    off=$((RANDOM % size))
    byte=$(od -An -tu1 -j "$off" -N1 "$file" | tr -d ' ')
    printf "$(printf '\\%03o' $(((byte + 1) % 256)))" |
      dd of="$file" bs=1 seek="$off" conv=notrunc status=none
    lowest=$(tr ' ' '\n' <<<"${file_pcrs[$f]}" | sed '/^$/d' | sort -n | head -1)
    expect_refusal "round $round: byte $off of file$f (PCRs${file_pcrs[$f]}) changed -> exit 1 naming PCR $lowest" \
      "first difference in PCR $lowest bank" "$INTEGRAL" verify --expect "$toml" --pcrs "$R/pcrread.yaml"
    break
  done
  unset file_pcrs
done
finish
