#!/usr/bin/env bash
# A service VM of `integral build`, booted for real: examples/service-vms built with the VMs'
# UKI made from Debian's kernel (examples/uefi-boot/build.sh), then the ndvm boots under QEMU
# (TCG) + OVMF (Secure Boot off) + swtpm (four banks) from the build's outputs: its UKI on the
# ESP and its root disk the dynamic VHD the build wrote (format vpc). `integral verify` must find
# the guest's PCRs and its event log equal to the build's prediction for that boot
# (out/boots/ndvm.prediction.json), and the PCR 16 the guest's initramfs extended (sha256 of the
# disk it read) equal to the bundle's digest of the image.
# Needs the kernel cache (examples/uefi-boot/fetch-kernel.sh: apt-get download, once).
# INTEGRAL_SKIP_BOOT=1 skips it (as tests/uefi_boot_test.sh).
. "$(dirname "$0")/lib/common.sh"
[[ -z ${INTEGRAL_SKIP_BOOT:-} ]] || skip_all "INTEGRAL_SKIP_BOOT is set"
ex=$INTEGRAL_SOURCE_DIR/examples
kernel=${KERNEL_DIR:-$("$ex/uefi-boot/fetch-kernel.sh")}
cd "$WORK"
export SECURE_BOOT=0 LUKS_ROOT=0
"$ex/uefi-boot/build.sh" "$kernel" vm >build.log 2>&1 || { bad "build.sh"; tail build.log; finish; }
UKI=vm/uki.efi "$ex/service-vms/make-trees.sh" src
"$INTEGRAL" build src/build.toml -o out --no-cache >build.txt && ok "integral build: $(tail -1 build.txt)" ||
  { bad "integral build"; finish; }
cmp -s vm/uki.efi out/../src/uki.efi && ok "the ESP's UKI is the one the build measured" || bad "UKI differs"
if ROOT_IMAGE="$WORK/out/images/ndvm.vhd" ROOT_FORMAT=vpc "$ex/uefi-boot/boot.sh" vm >boot.txt 2>&1; then
  ok "ndvm booted from its VHD ($(cat vm/boot.seconds) s)"
else
  bad "boot failed"
  cat boot.txt
  tail -20 vm/run/console.log 2>/dev/null || true
  finish
fi
banks=(sha1 sha256 sha384 sha512)
sel=$(printf '+%s:0,1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,23' "${banks[@]}")
logsel=$(printf '+%s:0,1,2,3,4,5,6,7,8,9,11,12,13,14,15,23' "${banks[@]}")
expect_pass "guest PCRs = the build's prediction (every bank)" \
  "$INTEGRAL" verify --expect out/boots/ndvm.prediction.json --pcrs vm/observed.yaml --select "${sel#+}"
expect_pass "guest event log = the build's prediction" \
  "$INTEGRAL" verify --log vm/eventlog.bin --expect out/boots/ndvm.prediction.json \
  --pcrs vm/observed.yaml --select "${logsel#+}"
# By hand: PCR 16 = sha256(0^32 || the image's file system digest from the bundle).
d=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["images"]["ndvm"]["filesystem"]["digests"]["sha256"])' out/reference-values.json)
want=$(printf '%064d%s' 0 "$d" | xxd -r -p | sha256sum | cut -c1-64)
got=$(awk '/sha256:/ { b = 1; next } /^ *sha[0-9]+:/ { b = 0 } b && $1 == "16:" { sub(/^0x/, "", $2); print tolower($2) }' vm/observed.yaml)
[[ -n $got && $got == "$want" ]] && ok "guest PCR 16 = sha256(0^32 || bundle's ndvm digest), by hand" ||
  bad "guest PCR 16 '$got', want '$want'"
finish
