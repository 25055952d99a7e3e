#!/usr/bin/env bash
# Records the platform profile: boots the example once (build.sh + boot.sh) and keeps the guest's
# binary event log as profile-ovmf-q35-secboot.bin (SECURE_BOOT=0: profile-ovmf-q35.bin). Stage
# `profile` takes from it only the events the platform makes (PCRs 0-3, 6; PCRs 4, 5, 7 up to
# the firmware's separator); the boot chain's events in it are ignored, so any boot of the
# example on the same firmware, QEMU and device list will do. Re-record after an update of
# ovmf or qemu-system-x86, or a change of boot.sh's QEMU command line, and update README.md's
# line (printed at the end).
# usage: record-profile.sh [WORKDIR]     env: KERNEL_DIR, QEMU_TIMEOUT, SECURE_BOOT (1 or 0)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-$(mktemp -d)}
kernel=${KERNEL_DIR:-$("$here/fetch-kernel.sh")}
export SECURE_BOOT=${SECURE_BOOT:-1}
name=profile-ovmf-q35.bin
if [[ $SECURE_BOOT != 0 ]]; then
  name=profile-ovmf-q35-secboot.bin
  export SIGN_KEY=${SIGN_KEY:-/usr/share/ovmf/PkKek-1-snakeoil.key}
  export SIGN_CERT=${SIGN_CERT:-/usr/share/ovmf/PkKek-1-snakeoil.pem}
  export SIGN_KEY_PASS=${SIGN_KEY_PASS-snakeoil}
else
  unset SIGN_KEY
fi
"$here/build.sh" "$kernel" "$work"
"$here/boot.sh" "$work"
cp "$work/eventlog.bin" "$here/$name"
versions=$(dpkg-query -W -f '${Package} ${Version}, ' ovmf qemu-system-x86 swtpm | sed 's/, $//')
echo "| \`$name\` | record-profile.sh with SECURE_BOOT=$SECURE_BOOT, kernel $(cat "$kernel/package"), $(date -u +%Y-%m-%d), $versions, sha256 $(sha256sum "$here/$name" | cut -c1-16)… |"
