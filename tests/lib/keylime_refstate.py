#!/usr/bin/env python3
"""keylime's measured-boot reference state derived from a real event log, written for the tests
from the rules of keylime-policy's `create measured-boot` (keylime/policy/create_mb_policy.py)
applied to tpm2_eventlog's YAML (the parser keylime itself runs), with keylime's clean-up of
tpm2-tools 5.4's strings (quotes, an escaped trailing NUL) and its GUID form (efivar's
registry form). Prints json.dumps of it, as keylime writes it.

usage: keylime_refstate.py TPM2_EVENTLOG_YAML"""
import json
import re
import struct
import sys
import uuid

import yaml


def sha256(e):
    for d in e.get("Digests", []):
        if d.get("AlgorithmId") == "sha256":
            return {"sha256": "0x" + d["Digest"]}
    return {}


def string(e):
    s = e["Event"].get("String", "") if isinstance(e.get("Event"), dict) else ""
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        s = s[1:-1]
    return s.replace("\\0", "\0").rstrip("\0")


def signatures(hexdata):
    b = bytes.fromhex(hexdata)
    out, at = [], 0
    while at + 28 <= len(b):
        list_size, header_size, sig_size = struct.unpack_from("<III", b, at + 16)
        pos = at + 28 + header_size
        while pos + sig_size <= at + list_size:
            out.append({"SignatureOwner": str(uuid.UUID(bytes_le=b[pos:pos + 16])),
                        "SignatureData": "0x" + b[pos + 16:pos + sig_size].hex()})
            pos += sig_size
        at += list_size
    return out


def main(path):
    events = yaml.safe_load(open(path))["events"]
    by_type = lambda t: [e for e in events if e.get("EventType") == t]
    secure_boot = any(e["Event"].get("UnicodeName") == "SecureBoot" and e["Event"].get("VariableData") == "01"
                      for e in by_type("EV_EFI_VARIABLE_DRIVER_CONFIG"))
    bios = {}
    crtm = by_type("EV_S_CRTM_VERSION")
    if crtm:
        bios["scrtm"] = sha256(crtm[0])
    bios["platform_firmware"] = [sha256(e) for e in events if e.get("EventType") in
                                 ("EV_EFI_PLATFORM_FIRMWARE_BLOB", "EV_EFI_PLATFORM_FIRMWARE_BLOB2")]
    keys = {"pk": [], "kek": [], "db": [], "dbx": []}
    for e in by_type("EV_EFI_VARIABLE_DRIVER_CONFIG"):
        name = e["Event"].get("UnicodeName", "").lower()
        if name in keys:
            keys[name] = signatures(e["Event"].get("VariableData", ""))
    vendor_db = []
    for e in by_type("EV_EFI_VARIABLE_AUTHORITY"):
        if e["Event"].get("UnicodeName", "").lower() == "vendor_db":
            vendor_db += signatures(e["Event"].get("VariableData", ""))
    ipl = by_type("EV_IPL")
    mok = [sha256(e) for e in ipl if string(e) == "MokList"]
    mokx = [sha256(e) for e in ipl if string(e) == "MokListX"]
    # applications, but the firmware's own (device path starting with an FvVol node)
    apps = [sha256(e) for e in by_type("EV_EFI_BOOT_SERVICES_APPLICATION")
            if not e["Event"].get("DevicePath", "").startswith("0407")]
    kernel = {}
    if secure_boot:
        assert len(apps) in (3, 4), apps
        kernel["kernel_authcode_sha256"] = apps[2]["sha256"]
    else:
        assert len(apps) == 2, apps
    kernel["shim_authcode_sha256"] = apps[0]["sha256"]
    kernel["grub_authcode_sha256"] = apps[1]["sha256"]
    for e in ipl:
        if e["PCRIndex"] == 9 and ("initrd" in string(e) or "initramfs" in string(e)):
            kernel["initrd_plain_sha256"] = sha256(e)["sha256"]
            break
    if not secure_boot:
        for e in ipl:
            if e["PCRIndex"] == 9 and "vmlinuz" in string(e):
                kernel["vmlinuz_plain_sha256"] = sha256(e)["sha256"]
                break
    for e in ipl:
        if e["PCRIndex"] == 8 and "kernel_cmdline" in string(e):
            kernel["kernel_cmdline"] = re.escape(string(e)[len("kernel_cmdline: "):])
            break
    state = {"has_secureboot": secure_boot, "scrtm_and_bios": [bios], **keys, "vendor_db": vendor_db,
             "mokdig": mok, "mokxdig": mokx, "kernels": [kernel]}
    sys.stdout.write(json.dumps(state))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
