#!/bin/sh
# /init of the example's initramfs (busybox). A LUKS2 root is unlocked first, as a systemd initrd
# unlocks it: systemd-cryptsetup with the TPM and the signed PCR 11 policy systemd-stub put in
# /.extra from the UKI's .pcrsig. Meta-measured style: before anything uses the root image,
# measure it (the plaintext, when encrypted) into a PCR (integral.measure_pcr= on the kernel
# command line, default 16), then mount it read-only at /mnt and read some of it (IMA measures
# that with ima_policy=tcb), report every PCR of every active bank, the firmware's event log and
# IMA's list on the second serial port (the host's data channel), and power off.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t securityfs securityfs /sys/kernel/security
echo 1 >/proc/sys/kernel/printk

out=/dev/ttyS1
[ -c $out ] || out=/dev/console
stty -F $out raw -echo 2>/dev/null

pcr=16
for word in $(cat /proc/cmdline); do
  case $word in integral.measure_pcr=*) pcr=${word#integral.measure_pcr=} ;; esac
done

# The Debian kernel has virtio as modules: load them in dependency order.
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk; do
  insmod /lib/modules/$m.ko 2>/dev/null
done

# The root image is the virtio disk whose serial QEMU set to "integral-root".
root=
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  for s in /sys/block/vd*/serial; do
    [ -r "$s" ] && [ "$(cat "$s")" = integral-root ] && root=/dev/$(basename "$(dirname "$s")")
  done
  [ -n "$root" ] && [ -b "$root" ] && break
  sleep 0.2
done

# A LUKS2 root: device-mapper and XTS, then systemd-cryptsetup (the TPM2 token; headless: no
# passphrase prompt when the TPM refuses).
unlock=
if [ -n "$root" ] && [ "$(head -c 4 "$root")" = LUKS ]; then
  for m in dm-mod dm-crypt ecb xts; do insmod /lib/modules/$m.ko 2>/dev/null; done
  mount -t tmpfs -o mode=0755 tmpfs /run
  if SYSTEMD_LOG_LEVEL=debug /lib/systemd/systemd-cryptsetup attach root "$root" - \
    tpm2-device=auto,tpm2-signature=/.extra/tpm2-pcr-signature.json,headless=1,readonly \
    >/run/unlock.log 2>&1 && [ -b /dev/mapper/root ]; then
    unlock="UNLOCK ok $root"
    root=/dev/mapper/root
  else
    unlock="UNLOCK failed $root"
    root=
  fi
fi

# TPM2_PCR_Extend(pcr, {sha256: digest}) written as a raw command: tag ST_SESSIONS, size 0x41,
# TPM_CC_PCR_Extend, the PCR handle, a 9-byte password session (TPM_RS_PW, empty nonce, attrs
# 0, empty hmac), one digest of TPM_ALG_SHA256. busybox needs no tpm2-tools for this.
extend_sha256() {
  dev=/dev/tpmrm0
  [ -c $dev ] || dev=/dev/tpm0
  cmd="8002""00000041""00000182"$(printf '%08x' "$1")"00000009""40000009""0000""00""0000""00000001""000b""$2"
  exec 3<>$dev
  echo "$cmd" | xxd -r -p >&3
  rsp=$(dd bs=4096 count=1 <&3 2>/dev/null | xxd -p | tr -d '\n')
  exec 3<&-
  echo "$rsp"
}

{
  echo "===INTEGRAL-BEGIN==="
  echo "KERNEL $(uname -r)"
  echo "CMDLINE $(cat /proc/cmdline)"
  if [ -n "$unlock" ]; then
    echo "$unlock"
    sed "s/^/UNLOCK-LOG /" /run/unlock.log | tail -60
    echo "EXTRA $(ls /.extra 2>/dev/null | tr '\n' ' ')"
  fi
  if [ -n "$root" ]; then
    d=$(sha256sum "$root" | cut -d' ' -f1)
    echo "MEASURE $pcr sha256 $d $root"
    echo "EXTEND-RESPONSE $(extend_sha256 "$pcr" "$d")"
    # only now that it is measured is the root used
    for m in crc16 mbcache jbd2 crc32c_generic ext4; do insmod /lib/modules/$m.ko 2>/dev/null; done
    mkdir -p /mnt
    # IMA (ima_policy=tcb) measures what root reads and runs from it: a few files, busybox
    if mount -t ext4 -o ro,noload "$root" /mnt 2>/dev/null; then
      echo "ROOTFS $(ls /mnt | tr '\n' ' ')"
      cat /mnt/etc/os-release /mnt/etc/passwd /mnt/etc/group /mnt/sbin/init >/dev/null
      /mnt/bin/busybox true
      umount /mnt
    fi
  elif [ -n "$unlock" ]; then
    echo "ERROR the root disk stays locked"
  else
    echo "ERROR no root image disk"
  fi
  for dir in /sys/class/tpm/tpm0/pcr-*; do
    alg=${dir##*/pcr-}
    n=0
    while [ $n -lt 24 ]; do
      echo "PCR $alg $n $(cat $dir/$n)"
      n=$((n + 1))
    done
  done
  echo "===EVENTLOG-BEGIN==="
  base64 /sys/kernel/security/tpm0/binary_bios_measurements
  echo "===EVENTLOG-END==="
  if [ -r /sys/kernel/security/ima/ascii_runtime_measurements ]; then
    echo "===IMA-BEGIN==="
    base64 /sys/kernel/security/ima/ascii_runtime_measurements
    echo "===IMA-END==="
  fi
  echo "UPTIME $(cut -d' ' -f1 /proc/uptime)"
  echo "===INTEGRAL-END==="
} >$out 2>&1
sync
poweroff -f
