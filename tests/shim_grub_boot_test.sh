#!/usr/bin/env bash
# The boot chain most distributions ship, booted for real: examples/shim-grub/run.sh builds a GPT
# disk with Debian's signed shim, GRUB and kernel, predicts every PCR (shim's MOK lists in PCR
# 14, its SbatLevel and authorities in PCR 7, GRUB's commands in PCR 8 and files in PCR 9, the
# kernel shim verifies for GRUB in PCR 4), boots it under QEMU (TCG) + OVMF with Secure Boot
# enforced and Microsoft's keys enrolled + swtpm (four banks) with the system's boot option
# installed (Boot0005: PCR 1 predicted from the disk image), and `integral verify` must find
# the guest's PCRs and its event log, event by event, equal to the prediction in every bank.
# The disk is laid out as Debian installs it: the ESP's grub.cfg hands over to a separate /boot
# (ext4, integral mkfs), whose grub.cfg is what Debian 12's grub-mkconfig writes (functions,
# grubenv, loadfont, search --fs-uuid, submenus). Then two more boots:
#   - one grub.cfg line changed (a message the default entry echoes):
#     against the first prediction exactly PCRs 8 (the command) and 9 (grub.cfg's contents)
#     differ, and verify --log names the command and grub.cfg's line; the prediction made from
#     the changed grub.cfg matches that boot;
#   - (no boot) keylime's measured-boot reference state from the prediction equals the one
#     keylime-policy's rules derive from the guest's log;
#   - a MOK enrolled in the guest's variable store (examples/shim-grub/add-mok.py): PCR 14
#     changes, and the prediction with `mok` set matches it in every bank.
# Needs the kernel and chain caches (apt-get download, once). INTEGRAL_SKIP_BOOT=1 skips this
# test (exit 77, a failure unless tests/skip-allowlist.txt names it).
. "$(dirname "$0")/lib/common.sh"

if [[ -n ${INTEGRAL_SKIP_BOOT:-} ]]; then
  skip_all "INTEGRAL_SKIP_BOOT is set"
fi
ex="$INTEGRAL_SOURCE_DIR/examples/shim-grub"
export KERNEL_DIR=${KERNEL_DIR:-$("$INTEGRAL_SOURCE_DIR/examples/uefi-boot/fetch-kernel.sh")}
export CHAIN_DIR=${CHAIN_DIR:-$("$ex/fetch-chain.sh")}
out="$WORK/out"
if "$ex/run.sh" "$out" >"$WORK/run.txt" 2>&1; then
  ok "shim/GRUB boot verified: $(tail -1 "$WORK/run.txt")"
else
  cat "$WORK/run.txt"
  bad "shim/GRUB boot: run.sh failed"
  tail -30 "$out/run/console.log" 2>/dev/null || true
  finish
fi
grep -q "^event log: verify: OK" "$WORK/run.txt" && ok "guest event log equals the prediction" ||
  bad "guest event log: $(grep '^event log' "$WORK/run.txt")"
src_of() { awk -v p="$1" '$1 == p && NF == 3 { print $2 }' "$WORK/run.txt" | head -1; }
for want in "4 grub+profile+shim+uefi-app" "7 profile+secureboot+shim" "8 grub" "9 grub" "14 shim"; do
  [[ $(src_of "${want%% *}") == "${want#* }" ]] && ok "PCR ${want%% *} from ${want#* }" ||
    bad "PCR ${want%% *} source '$(src_of "${want%% *}")', want ${want#* }"
done
# PCR 1: the installed boot option (run.sh wrote it to the guest's store, efi-vars.py) was
# predicted, not copied, and the firmware started it.
if jq -e '[.events[] | select(.pcr == 1 and .rule == "profile/boot-option")] | length == 2' \
  "$out/prediction.json" >/dev/null && grep -aq 'BdsDxe: starting Boot0005 "integral example"' "$out/run/console.log"; then
  ok "PCR 1: BootOrder and Boot0005 predicted from the disk image; the firmware started Boot0005"
else
  bad "PCR 1: no predicted boot option, or the firmware did not start Boot0005"
fi
# The guest's own record of the chain: GRUB ran the example's grub.cfg from the ESP.
log_text() { "$INTEGRAL" eventlog show "$1" >"$WORK/log.txt" && cat "$WORK/log.txt"; }
log_text "$out/eventlog.bin" >"$WORK/log-text.txt"
grep -q "grub_cmd: source (hd0,gpt1)/EFI/debian/grub.cfg" "$WORK/log-text.txt" &&
  grep -q "grub_cmd: configfile (hd0,gpt2)/grub/grub.cfg" "$WORK/log-text.txt" &&
  ok "GRUB sourced \\EFI\\debian\\grub.cfg from the ESP, then /boot's grub.cfg from the ext4 partition" ||
  bad "no grub_cmd sourcing (hd0,gpt1)/EFI/debian/grub.cfg, then (hd0,gpt2)/grub/grub.cfg in the guest's log"

# keylime: the measured-boot reference state integral writes from the prediction (no golden
# machine) equals, byte for byte, the one keylime-policy's rules derive from the guest's real
# log (tests/lib/keylime_refstate.py over tpm2_eventlog's YAML).
"$INTEGRAL" keylime "$out/boot.toml" -o "$WORK/refstate.json"
tpm2_eventlog "$out/eventlog.bin" >"$WORK/eventlog.yaml" 2>/dev/null
python3 "$INTEGRAL_SOURCE_DIR/tests/lib/keylime_refstate.py" "$WORK/eventlog.yaml" >"$WORK/refstate-log.json"
if cmp -s "$WORK/refstate.json" "$WORK/refstate-log.json"; then
  ok "keylime mb_refstate from the prediction equals the one derived from the guest's log ($(jq -r '.kernels[0] | keys | join(", ")' "$WORK/refstate.json"))"
else
  bad "keylime mb_refstate differs from the one derived from the guest's log"
  diff <(jq -S . "$WORK/refstate.json") <(jq -S . "$WORK/refstate-log.json") | head -20
fi

# SbatLevel given as a level: the one shim 16.1 writes on a machine without one ("previous",
# from its .sbatlevel section; here taken from the guest's log) predicts the same PCRs; a newer
# level the machine already holds changes PCR 7 alone.
level_hex=$(awk '/UnicodeName: SbatLevel/ { s = 1 } s && /VariableData:/ { gsub(/"/, "", $2); print $2; exit }' \
  "$WORK/eventlog.yaml")
with_level() { # BOOT.toml LEVEL-HEX OUT.toml: sbat_level set to that level, as a TOML string
  python3 -c 'import json, sys
level = json.dumps(bytes.fromhex(sys.argv[2]).decode())
lines = [l + ("\nsbat_level = " + level if l.startswith("shim = ") else "") for l in open(sys.argv[1]).read().split("\n")]
open(sys.argv[3], "w").write("\n".join(lines))' "$@"
}
with_level "$out/boot.toml" "$level_hex" "$out/sbat.toml"
with_level "$out/boot.toml" "$(printf 'sbat,1,2099010100\nshim,9\n' | xxd -p | tr -d '\n')" "$out/sbat-newer.toml"
values() { "$INTEGRAL" predict "$1" | grep -E '^ +[0-9]+ +sha(1|256|384|512) '; }
values "$out/boot.toml" >"$WORK/p0.txt"
values "$out/sbat.toml" >"$WORK/p1.txt"
values "$out/sbat-newer.toml" >"$WORK/p2.txt"
changed=$({ diff "$WORK/p0.txt" "$WORK/p2.txt" || true; } | awk '/^>/ { print $2 }' | sort -u | tr '\n' ' ')
if [[ -n $level_hex ]] && cmp -s "$WORK/p0.txt" "$WORK/p1.txt" && [[ $changed == "7 " ]]; then
  ok "sbat_level: the guest's level given as text predicts the same PCRs; a newer one changes PCR 7 alone"
else
  bad "sbat_level: level ${level_hex:-missing}, same=$(cmp -s "$WORK/p0.txt" "$WORK/p1.txt" && echo yes || echo no), changed '$changed'"
fi

sel="sha1:0-9,14,16+sha256:0-9,14,16+sha384:0-9,14,16+sha512:0-9,14,16"
sel=${sel//0-9/0,1,2,3,4,5,6,7,8,9}
logsel=${sel//,16/}
mismatching() { awk '$2 == "sha256" && $3 == "MISMATCH" { print $1 }' "$1" | sort -n | tr '\n' ' '; }
# boot_variant NAME: boots $WORK/NAME (built by the caller) with OVMF_VARS
boot_variant() {
  "$INTEGRAL_SOURCE_DIR/examples/uefi-boot/boot.sh" "$WORK/$1" >"$WORK/$1.boot.txt" 2>&1 ||
    { cat "$WORK/$1.boot.txt"; bad "$1: boot failed"; finish; }
}

# One grub.cfg line changed: a message the default entry prints.
sed 's/Loading initial ramdisk \.\.\./Loading the initial ramdisk .../' "$ex/grub.cfg" >"$WORK/grub.cfg"
# GRUB measures a menu entry's definition with its body: that command differs first
line=$(grep -n "^menuentry 'Debian GNU/Linux'" "$ex/grub.cfg" | cut -d: -f1)
GRUB_CFG="$WORK/grub.cfg" "$ex/build.sh" "$KERNEL_DIR" "$CHAIN_DIR" "$WORK/cfg" >/dev/null
OVMF_VARS="$out/OVMF_VARS.fd" boot_variant cfg
set +e
"$INTEGRAL" verify --expect "$out/prediction.json" --pcrs "$WORK/cfg/observed.yaml" \
  --select "$sel" >"$WORK/cfg.verify.txt" 2>&1
rc=$?
"$INTEGRAL" verify --log "$WORK/cfg/eventlog.bin" --expect "$out/prediction.json" \
  --select "$logsel" >"$WORK/cfg.verify-log.txt" 2>&1
lrc=$?
set -e
got=$(mismatching "$WORK/cfg.verify.txt")
[[ $rc -eq 1 && $got == "8 9 " ]] && ok "grub.cfg line changed: exactly PCRs ${got% } differ" ||
  { bad "grub.cfg line changed: rc=$rc, mismatching PCRs '$got', want '8 9'"; cat "$WORK/cfg.verify.txt"; }
if [[ $lrc -eq 1 ]] &&
  grep -q 'log .*EV_IPL "grub_cmd: menuentry Debian GNU/Linux' "$WORK/cfg.verify-log.txt" &&
  grep -q "predicted .*EV_IPL \"grub_cmd: menuentry Debian GNU/Linux.*echo\\\\t'Loading initial ramdisk" "$WORK/cfg.verify-log.txt" &&
  grep -q "boot/grub/grub.cfg:$line \[grub/command\]" "$WORK/cfg.verify-log.txt"; then
  ok "grub.cfg line changed: verify --log names the guest's menuentry command, the predicted one and grub.cfg:$line"
else
  bad "grub.cfg line changed: verify --log rc=$lrc does not name the command"
  cat "$WORK/cfg.verify-log.txt"
fi
cp "$out/boot.toml" "$out/profile.bin" "$WORK/cfg/"
"$INTEGRAL" predict "$WORK/cfg/boot.toml" --json -o "$WORK/cfg/prediction.json"
expect_pass "the changed grub.cfg's prediction matches its boot" \
  "$INTEGRAL" verify --log "$WORK/cfg/eventlog.bin" --expect "$WORK/cfg/prediction.json" \
  --pcrs "$WORK/cfg/observed.yaml" --select "$logsel"

# A MOK enrolled: a fresh self-signed certificate, in the store and in the prediction.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/mok.key" -outform DER -out "$WORK/mok.der" \
  -subj "/CN=integral test MOK/" -days 30 2>/dev/null
if MOK="$WORK/mok.der" "$ex/run.sh" "$WORK/mok" >"$WORK/mok.txt" 2>&1; then
  ok "MOK enrolled: boot verified against the prediction with the MOK ($(tail -1 "$WORK/mok.txt"))"
else
  cat "$WORK/mok.txt"
  bad "MOK enrolled: run.sh failed"
fi
set +e
"$INTEGRAL" verify --expect "$out/prediction.json" --pcrs "$WORK/mok/observed.yaml" \
  --select "$sel" >"$WORK/mok.verify.txt" 2>&1
set -e
got=$(mismatching "$WORK/mok.verify.txt")
[[ $got == "14 " ]] && ok "MOK enrolled: against the prediction without it exactly PCR ${got% } differs" ||
  { bad "MOK enrolled: mismatching PCRs '$got', want '14'"; cat "$WORK/mok.verify.txt"; }
finish
