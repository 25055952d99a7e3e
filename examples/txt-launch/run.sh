#!/usr/bin/env bash
# examples/txt-launch/run.sh OUTDIR [VECTOR_A]: profile the reference launch, predict the launch
# of Debian's /boot/tboot.gz (package tboot) with stand-in kernel and initrd files, and print
# the PCRs with every event's provenance. Needs integral on PATH (or $INTEGRAL).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: run.sh OUTDIR [VECTOR_A]}
vector=${2:-$(ls "$here"/../../tests/data/txt/A_*.txt 2>/dev/null | head -1)}
integral=${INTEGRAL:-integral}
[[ -f $vector ]] || { echo "vector A (txt-stat output) not found; pass it as the second argument" >&2; exit 4; }
[[ -f /boot/tboot.gz ]] || { echo "/boot/tboot.gz missing: install the tboot package" >&2; exit 4; }
mkdir -p "$out"
cp "$here/boot.toml" "$out/"
"$integral" txt profile "$vector" -o "$out/platform.toml"
# Stand-ins for the kernel and initrd GRUB would load as multiboot modules.
printf 'stand-in kernel image\n' >"$out/vmlinuz"
printf 'stand-in initrd\n' >"$out/initrd.img"
"$integral" predict "$out/boot.toml" --json -o "$out/prediction.json"
"$integral" predict "$out/boot.toml" --events
