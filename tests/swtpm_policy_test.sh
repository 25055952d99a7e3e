#!/usr/bin/env bash
# integral's PolicyPCR digest (computed from predicted values) equals tpm2_createpolicy's
# (a trial session on swtpm over the PCRs actually extended), for several selections, banks
# and session algorithms.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/swtpm.sh"

prng_bytes policy-a 5000 >"$WORK/a.img"
prng_bytes policy-b 70000 >"$WORK/b.img"
cat >"$WORK/boot.toml" <<'TOML'
banks = ["sha1", "sha256", "sha384", "sha512"]
[[stage]]
type = "file"
pcr = 9
path = "a.img"
method = "meta-measured-tpm12"
[[stage]]
type = "file"
pcr = 16
path = "b.img"
method = "tpm2-pcrevent"
[[stage]]
type = "file"
pcr = 4
path = "b.img"
method = "tpm2-pcrextend"
banks = ["sha256", "sha384"]
TOML

swtpm_start policy
tpm2_pcrextend "9:sha1=$(echo -n "$(sha1sum -b "$WORK/a.img" | cut -c1-40)" | sha1sum | cut -c1-40)"
tpm2_pcrevent 16 "$WORK/b.img" >/dev/null
tpm2_pcrextend "4:sha256=$(sha256sum "$WORK/b.img" | cut -c1-64),sha384=$(sha384sum "$WORK/b.img" | cut -c1-96)"

for sel in sha256:16 sha1:9 sha256:4,9,16 sha1:9,16+sha256:4,16 sha384:4+sha1:0,9 \
  sha512:16,17,23 sha256:0,1,2,3,4,5,6,7; do
  for alg in sha256 sha1 sha384; do
    tpm2_createpolicy --policy-pcr -l "$sel" -g "$alg" -L "$WORK/pol.bin" >/dev/null
    tpm2_flushcontext -l # the trial sessions would otherwise fill the TPM's session slots
    want=$(xxd -p -c 256 "$WORK/pol.bin")
    got=$("$INTEGRAL" predict "$WORK/boot.toml" --policy "$sel" --policy-alg "$alg" |
      sed -n 's/^PolicyPCR .*: //p')
    if [[ "$got" == "$want" && -n "$got" ]]; then
      ok "PolicyPCR $sel ($alg session) = $got"
    else
      bad "PolicyPCR $sel ($alg session): integral '$got', tpm2_createpolicy '$want'"
    fi
  done
done
swtpm_stop
finish
