#!/usr/bin/env bash
# The grub stage's Red Hat dialect against a real RHEL 8 boot: google/go-eventlog's
# rhel8-uefi.bin (tests/data/README.md), decoded here by tpm2_eventlog. The configuration in
# tests/data/grub-rhel8/ is RHEL 8's grub2-mkconfig output for that machine (its commands are
# those the log shows; its BLS snippets are kernel-install's form), so the test checks what
# integral derives from it: the commands after expansion, the entry blscfg builds and boots, and
# Red Hat's encoding (no colon, commands hashed with their NUL, the kernel command line
# without). Every PCR 8 event, in every bank the log has, must equal the log's; PCR 9 and the
# kernel's PCR 4 event must come where the log has them, named as the log names them. The kernel
# and initrd are stand-ins (the log's own are not public): their digests are checked against
# pesign and sha256sum instead.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/uefi.sh"
data=$(cd "$(dirname "$0")/data" && pwd)
cd "$WORK"
cp -r "$data/grub-rhel8" rh
version=4.18.0-240.22.1.el8_3.x86_64
cp "$EFI_STUB" "rh/root/boot/vmlinuz-$version"
prng_bytes rhel8-initrd 5000 >"rh/root/boot/initramfs-$version.img"
cat >rh/boot.toml <<'TOML'
banks = ["sha1", "sha256", "sha384"]
# RHEL 8's grubx64.efi has no embedded configuration: normal mode runs $prefix/grub.cfg from
# the ESP (hd0,gpt1); the root file system (XFS there; a folder here) holds /boot.
[[stage]]
type = "grub"
dialect = "rhel8"
prefix = "/EFI/redhat"
esp = "esp"
device = "hd0,gpt1"
fs_uuid = "E94E-DE2D"
devices = ["hd0,gpt2=root"]
fs_uuids = ["hd0,gpt2=f3948fb4-cce7-4193-940a-c50052e93bf3"]
TOML
"$INTEGRAL" predict rh/boot.toml --json >pred.json
tpm2_eventlog "$data/eventlogs/rhel8-uefi.bin" >log.yaml 2>log.err || bad "tpm2_eventlog: $(cat log.err)"

python3 - pred.json log.yaml "rh/root/boot/vmlinuz-$version" "rh/root/boot/initramfs-$version.img" \
  >compare.out <<'PY'
import hashlib, json, subprocess, sys, yaml
pred = json.load(open(sys.argv[1]))["events"]
log = yaml.safe_load(open(sys.argv[2]))["events"]
kernel, initrd = sys.argv[3], sys.argv[4]
# The log's GRUB part: PCRs 8 and 9, and PCR 4 from GRUB's first command on (shim's check of
# the kernel).
first = next(i for i, e in enumerate(log) if e["PCRIndex"] == 8)
log = [e for i, e in enumerate(log) if e["PCRIndex"] in (8, 9) or (e["PCRIndex"] == 4 and i > first)]
print("events", len(log), len(pred))
for n, (want, got) in enumerate(zip(log, pred)):
    where = f"log event {want['EventNum']}"
    if want["PCRIndex"] != got["pcr"] or want["EventType"] != got["type"]:
        print(f"FAIL {where}: PCR {want['PCRIndex']} {want['EventType']}, predicted PCR {got['pcr']} {got['type']}")
        continue
    digests = {d["AlgorithmId"]: d["Digest"] for d in want["Digests"]}
    if want["PCRIndex"] == 8:
        print(("ok" if digests == got["digests"] else "FAIL") + f" pcr8 {where}: {got['description'][:60]!r}")
    elif want["PCRIndex"] == 9:
        name = want["Event"]["String"].strip('"').replace("\\0", "")
        data = bytes.fromhex(got["data"]).rstrip(b"\0").decode()
        body = open(kernel if name.endswith("Kernel") else initrd, "rb").read()
        same = data == name and got["digests"]["sha256"] == hashlib.sha256(body).hexdigest()
        print(("ok" if same else "FAIL") + f" {where}: {name!r} = H(the stand-in)")
    else:
        pesign = subprocess.run(["pesign", "-h", "-d", "sha256", "-i", kernel], capture_output=True, text=True)
        want_hash = pesign.stdout.split("hash: ")[-1].strip()
        print(("ok" if got["digests"]["sha256"] == want_hash else "FAIL") + f" {where}: shim's check of the kernel = pesign -h")
PY
expect_equal "the GRUB part of the log and the prediction: as many events" \
  "$(awk '$1 == "events" { print $2 }' compare.out)" "$(awk '$1 == "events" { print $3 }' compare.out)"
expect_equal "every event as the log has it" "0" "$(grep -c '^FAIL' compare.out || true)"
grep '^FAIL' compare.out || true
expect_equal "PCR 8 events equal in sha1, sha256 and sha384" 50 \
  "$(grep -c '^ok pcr8 ' compare.out || true)"

# Without saved_entry, $default is empty and GRUB boots the menu's first entry: the first
# blscfg made, the newest version (4.18.0-240.22.1 sorts after 4.18.0-240, as rpm compares
# them, though not as bytes: '2' < 'e').
sed -i '/^saved_entry=/d' rh/esp/EFI/redhat/grubenv
printf '#%.0s' $(seq 1 80) >>rh/esp/EFI/redhat/grubenv # the block keeps its 1024 bytes
head -c 1024 rh/esp/EFI/redhat/grubenv >env && mv env rh/esp/EFI/redhat/grubenv
"$INTEGRAL" predict rh/boot.toml --json >default0.json
expect_equal "with default=0 the newest entry boots" "grub_linuxefi Kernel ((hd0,gpt2)/boot/vmlinuz-$version)" \
  "$(jq -r '.events[] | select(.pcr == 9) | .description' default0.json | head -1)"

# The upstream dialect has no blscfg: the prediction is refused with the line, not made
# without the menu.
sed -i 's/dialect = "rhel8"/dialect = "upstream"/' rh/boot.toml
expect_bad_input "upstream GRUB has no blscfg" "'blscfg' is Red Hat's command" \
  "$INTEGRAL" predict rh/boot.toml
finish
