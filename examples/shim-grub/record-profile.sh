#!/usr/bin/env bash
# Records the platform profile: boots the example once (build.sh + boot.sh with Microsoft's keys
# enrolled) and keeps the guest's binary event log as profile-ovmf-q35-ms.bin. Stage `profile`
# takes from it only the events the platform makes (PCRs 0-3, 6; PCRs 4, 5, 7 up to the
# firmware's separator); the boot chain's events in it are ignored. Re-record after an update of
# ovmf or qemu-system-x86, or a change of boot.sh's QEMU command line, and update README.md's
# line (printed at the end).
# usage: record-profile.sh [WORKDIR]     env: KERNEL_DIR, CHAIN_DIR, QEMU_TIMEOUT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-$(mktemp -d)}
kernel=${KERNEL_DIR:-$("$here/../uefi-boot/fetch-kernel.sh")}
chain=${CHAIN_DIR:-$("$here/fetch-chain.sh")}
name=profile-ovmf-q35-ms.bin
"$here/build.sh" "$kernel" "$chain" "$work"
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.ms.fd "$here/../uefi-boot/boot.sh" "$work"
cp "$work/eventlog.bin" "$here/$name"
versions=$(dpkg-query -W -f '${Package} ${Version}, ' ovmf qemu-system-x86 swtpm | sed 's/, $//')
echo "| \`$name\` | record-profile.sh (build.sh + boot.sh, OVMF_VARS_4M.ms.fd), kernel $(cat "$kernel/package"), $(cat "$chain/packages" | paste -sd, | sed 's/,/, /g'), $(date -u +%Y-%m-%d), $versions, sha256 $(sha256sum "$here/$name" | cut -c1-16)… |"
