#!/usr/bin/env bash
# An OpenXT-style build in one command: three service VMs (ext3 in dynamic VHDs, SELinux-labelled)
# and a host (ext4 with a dm-verity tree), each with its measured boot, built by `integral build`
# into OUTDIR/out with OUTDIR/out/reference-values.json; then built again to show the cache at
# work (no image is written twice).
# usage: examples/service-vms/run.sh [OUTDIR]     (default: build/service-vms)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
integral=${INTEGRAL:-$top/build/integral}
. "$top/examples/lib.sh"

example_outdir example "${1:-$top/build/service-vms}"
work=$out
echo "== the service VMs' UKI and boot disk: Debian's kernel (apt-get download, cached) and systemd-stub"
kernel=${KERNEL_DIR:-$("$top/examples/uefi-boot/fetch-kernel.sh")}
SECURE_BOOT=0 LUKS_ROOT=0 "$top/examples/uefi-boot/build.sh" "$kernel" "$work/uki"
echo "== laying out the trees beside a copy of build.toml"
UKI="$work/uki/uki.efi" "$here/make-trees.sh" "$work/src"
echo "== integral build"
"$integral" build "$work/src/build.toml" -o "$work/out" --cache-dir "$work/cache"
echo "== again, nothing changed: every image from the cache"
"$integral" build "$work/src/build.toml" -o "$work/out" --cache-dir "$work/cache"
echo "== the bundle: $work/out/reference-values.json"
