#!/usr/bin/env bash
# integral's .pcrsig opens a LUKS2 volume sealed by systemd's own tools to a public key
# (TPM2_PolicyAuthorize), on swtpm: systemd-cryptenroll --tpm2-public-key enrolls a volume
# file; systemd's TPM2 token plugin (the code systemd-cryptsetup runs, driven through
# libcryptsetup without activating a device) opens the keyslot with integral's signature when
# the TPM's PCR 11 holds the predicted value (the predicted events extended into it), refuses
# when it differs, and after an update (a command line changed by one byte, a new TPM boot)
# opens the same keyslot with the new build's signature, no re-enrollment. Then tpm2-tools
# alone: an object sealed to PolicyAuthorize unseals under PolicyPCR over PCRs 7+11 approved by
# integral's signature, and not under another boot's.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/swtpm.sh"

TOKEN="$(dirname "$0")/lib/luks_tpm2_token.py"
cd "$WORK"
prng_bytes unlock-linux 40000 >linux
printf 'ID=unlock\n' >osrel
prng_bytes unlock-initrd 3000 >initrd
printf 'console=ttyS0 root=/dev/vda2 ro' >cmdline.a
printf 'console=ttyS0 root=/dev/vda3 ro' >cmdline.b # one byte changed: the update
printf 'secure boot state\n' >sb-state
for b in a b; do
  printf '%s\n[[stage]]\ntype = "uki"\nsystemd_version = 252\nlinux = "linux"\nosrel = "osrel"\ncmdline = "cmdline.%s"\ninitrd = "initrd"\n' \
    'banks = ["sha256"]' $b >$b.toml
  # the same boot with something measured into PCR 7 first
  printf '%s\n[[stage]]\ntype = "file"\npcr = 7\npath = "sb-state"\nmethod = "tpm2-pcrextend"\n' \
    'banks = ["sha256"]' >$b.7.toml
  tail -n +2 $b.toml >>$b.7.toml
done
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem 2>/dev/null
openssl pkey -in key.pem -pubout -out key.pub

# extend_predicted TOML: the predicted events into the TPM, as the boot would extend them.
extend_predicted() {
  local d
  for d in $("$INTEGRAL" predict "$1" --json | jq -r '.events[] | "\(.pcr):sha256=\(.digests.sha256)"'); do
    tpm2_pcrextend "$d"
  done
}
unlock() { python3 "$TOKEN" luks.img "$TPM2TOOLS_TCTI" "$WORK/$1" >unlock.out 2>&1; }
# The plugin leaves its sessions and objects loaded when it fails, and swtpm has few slots.
flush() { tpm2_flushcontext -t && tpm2_flushcontext -s && tpm2_flushcontext -l; }
expect_unlock() {
  if unlock "$2"; then ok "$1 (keyslot $(tail -1 unlock.out))"; else bad "$1: $(tail -3 unlock.out)"; fi
  flush
}
# Refused for the right reason: no signed policy matches the TPM's current PCR 11.
expect_locked() {
  if unlock "$2"; then
    bad "$1: opened"
  elif grep -q "Couldn't find signature for this PCR bank" unlock.out; then
    ok "$1 (refused: no signed policy for the PCR 11 the TPM holds)"
  else
    bad "$1: refused for another reason: $(tail -3 unlock.out)"
  fi
  flush
}

for b in a b; do
  "$INTEGRAL" pcrsig $b.toml --private-key key.pem --phase= -o $b.stub.pcrsig
  "$INTEGRAL" pcrsig $b.toml --private-key key.pem -o $b.phases.pcrsig # systemd's four phases
done

# Boot A: enroll once, against the public key only (no PCR bound directly).
swtpm_start boot-a
truncate -s 32M luks.img
printf 'luks passphrase' >pass
cryptsetup luksFormat --type luks2 -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file pass luks.img
PASSWORD='luks passphrase' systemd-cryptenroll --tpm2-device="$TPM2TOOLS_TCTI" --tpm2-public-key=key.pub \
  --tpm2-public-key-pcrs=11 --tpm2-pcrs= luks.img >enroll.log 2>&1 || { cat enroll.log; bad "systemd-cryptenroll"; }
extend_predicted a.toml
expect_equal "boot A: the TPM's PCR 11 is the predicted one" \
  "$(tpm2_pcrread sha256:11 | awk '/11:/ { sub(/^0x/, "", $2); print tolower($2) }')" \
  "$("$INTEGRAL" predict a.toml --yaml --pcrs sha256:11 | awk '/11:/ { sub(/^0x/, "", $2); print tolower($2) }')"
expect_unlock "boot A right after systemd-stub: A's signature opens the keyslot" a.stub.pcrsig
expect_locked "boot A: B's signature does not" b.stub.pcrsig
expect_locked "boot A: A's phase signatures do not, before any phase" a.phases.pcrsig
# A signature that is not the key's: the policy matches, the TPM refuses the signature.
jq -c '.sha256[0].sig |= (.[0:10] + (if .[10:11] == "A" then "B" else "A" end) + .[11:])' a.stub.pcrsig >forged.pcrsig
if unlock forged.pcrsig; then bad "a forged signature opened the keyslot"; else
  ok "a forged signature is refused by the TPM ($(grep -v '^-' unlock.out | tail -1))"
fi
flush
tpm2_pcrextend "11:sha256=$(printf enter-initrd | sha256sum | cut -c1-64)"
expect_unlock "boot A in the initrd (enter-initrd extended): A's phase signatures open it" a.phases.pcrsig
expect_locked "boot A in the initrd: the stub-only signature no longer does" a.stub.pcrsig
swtpm_stop

# The update: the same TPM boots B (one byte of command line changed).
swtpm_start boot-b
extend_predicted b.toml
expect_locked "boot B: the old build's signature does not open it" a.stub.pcrsig
expect_unlock "boot B: the new build's signature opens the same keyslot" b.stub.pcrsig
expect_equal "no re-enrollment: still one systemd-tpm2 token" 1 "$(cryptsetup luksDump luks.img | grep -c 'systemd-tpm2')"
swtpm_stop

# tpm2-tools alone, PCRs 7+11: seal to PolicyAuthorize(key), unseal with PolicyPCR approved by
# integral's signature over the policy (tpm2_verifysignature's ticket).
swtpm_start seal
tpm2_loadexternal -C o -G rsa -u key.pub -c key.ctx -n key.name >/dev/null
tpm2_flushcontext -t # swtpm holds three objects: each tool reloads what it needs from its file
tpm2_startauthsession -S trial.ctx
tpm2_policyauthorize -S trial.ctx -L authorized.policy -n key.name >/dev/null
tpm2_flushcontext trial.ctx
tpm2_createprimary -C o -c primary.ctx >/dev/null
tpm2_flushcontext -t
printf 'sealed disk key' | tpm2_create -C primary.ctx -L authorized.policy -i- -u seal.pub -r seal.priv >/dev/null
tpm2_load -C primary.ctx -u seal.pub -r seal.priv -c seal.ctx >/dev/null
tpm2_flushcontext -t
extend_predicted a.7.toml
unseal_with() { # PCRSIG -> the unsealed text, or nothing
  jq -r '.sha256[0].pol' "$1" | xxd -r -p >pol.bin
  jq -r '.sha256[0].sig' "$1" | base64 -d >sig.bin
  tpm2_verifysignature -c key.ctx -g sha256 -m pol.bin -s sig.bin -f rsassa -t ticket.bin >/dev/null 2>&1 || return 0
  tpm2_flushcontext -t
  tpm2_startauthsession --policy-session -S s.ctx
  if tpm2_policypcr -S s.ctx -l sha256:7,11 >/dev/null &&
    tpm2_policyauthorize -S s.ctx -i pol.bin -n key.name -t ticket.bin >/dev/null 2>&1; then
    tpm2_unseal -p session:s.ctx -c seal.ctx 2>/dev/null || true
  fi
  tpm2_flushcontext s.ctx
  tpm2_flushcontext -t
}
for b in a b; do
  "$INTEGRAL" pcrsig $b.7.toml --private-key key.pem --bank sha256 --pcr 7 --pcr 11 --phase= -o $b.7.pcrsig
done
expect_equal "tpm2-tools, PCRs 7+11: A's signed policy unseals" "sealed disk key" "$(unseal_with a.7.pcrsig)"
got=$(unseal_with b.7.pcrsig)
[[ -z "$got" ]] && ok "tpm2-tools, PCRs 7+11: B's signed policy does not unseal" ||
  bad "tpm2-tools, PCRs 7+11: B's signed policy unsealed '$got'"
swtpm_stop
finish
