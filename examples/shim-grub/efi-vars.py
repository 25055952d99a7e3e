#!/usr/bin/env python3
"""Writes variables into a copy of an OVMF variable store, as the OS would leave them:
  --mok CERT.der      the certificate as a Machine Owner Key, as MokManager enrolls it: MokList
                      (SHIM_LOCK_GUID, non-volatile, boot-services only) holding one
                      EFI_SIGNATURE_LIST with it, owner SHIM_LOCK_GUID
  --boot-entry NUMBER:LABEL:DISK:PARTITION:LOADER
                      a boot option as `efibootmgr --create` writes it: Boot#### (an active
                      EFI_LOAD_OPTION: the label, HD(partition, GPT)/File(loader)) and BootOrder
                      naming it; the partition's start, size and GUID are read with sfdisk
Variables are appended to the store's authenticated-variable area (EDK2's
AUTHENTICATED_VARIABLE_HEADER, state VAR_ADDED).

usage: efi-vars.py VARS.fd OUT.fd [--mok CERT] [--boot-entry SPEC]"""
import argparse
import json
import struct
import subprocess
import sys
import uuid

AUTH_STORE = uuid.UUID("aaf32c78-947b-439a-a180-2e144ec37792").bytes_le
X509 = uuid.UUID("a5c059a1-94e4-4aa7-87b5-ab155c2bf072").bytes_le
SHIM_LOCK = uuid.UUID("605dab50-e046-4300-abb6-3dd810dd8b23").bytes_le
GLOBAL = uuid.UUID("8be4df61-93ca-11d2-aa0d-00e098032b8c").bytes_le
HEADER = 60  # AUTHENTICATED_VARIABLE_HEADER
NV_BS, NV_BS_RT = 0x3, 0x7


class Store:
    def __init__(self, path):
        self.fd = bytearray(open(path, "rb").read())
        if self.fd[40:44] != b"_FVH":
            sys.exit(f"{path}: no firmware volume header")
        store = struct.unpack_from("<H", self.fd, 48)[0]
        if self.fd[store:store + 16] != AUTH_STORE:
            sys.exit(f"{path}: the variable store at {store:#x} is not the authenticated format")
        self.end = store + struct.unpack_from("<I", self.fd, store + 16)[0]
        self.names = set()
        at = store + 28
        while at + HEADER <= self.end and struct.unpack_from("<H", self.fd, at)[0] == 0x55AA:
            name_size, data_size = struct.unpack_from("<II", self.fd, at + 36)
            if self.fd[at + 2] == 0x3F:
                self.names.add(self.fd[at + HEADER:at + HEADER + name_size].decode("utf-16-le").rstrip("\0"))
            at = (at + HEADER + name_size + data_size + 3) & ~3
        self.at = at

    def add(self, name, guid, attrs, data):
        if name in self.names:
            sys.exit(f"the store already holds {name}")
        n = (name + "\0").encode("utf-16-le")
        var = struct.pack("<HBBIQ16sIII", 0x55AA, 0x3F, 0, attrs, 0, bytes(16), 0, len(n), len(data))
        var += guid + n + data
        if self.at + len(var) > self.end or any(b != 0xFF for b in self.fd[self.at:self.at + len(var)]):
            sys.exit(f"no free space for {name} at {self.at:#x}")
        self.fd[self.at:self.at + len(var)] = var
        self.at = (self.at + len(var) + 3) & ~3


def load_option(spec):
    number, label, disk, part, loader = spec.split(":", 4)
    table = json.loads(subprocess.check_output(["sfdisk", "--json", disk]))["partitiontable"]
    p = [x for x in table["partitions"] if x["node"] == f"{disk}{part}"][0]
    hd = struct.pack("<BBHIQQ16sBB", 4, 1, 42, int(part), p["start"], p["size"],
                     uuid.UUID(p["uuid"]).bytes_le, 2, 2)
    path = (loader + "\0").encode("utf-16-le")
    dp = hd + struct.pack("<BBH", 4, 4, 4 + len(path)) + path + bytes([0x7F, 0xFF, 4, 0])
    return int(number, 16), struct.pack("<IH", 1, len(dp)) + (label + "\0").encode("utf-16-le") + dp


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("vars")
    ap.add_argument("out")
    ap.add_argument("--mok")
    ap.add_argument("--boot-entry")
    a = ap.parse_args()
    s = Store(a.vars)
    if a.mok:
        cert = open(a.mok, "rb").read()
        esl = X509 + struct.pack("<III", 28 + 16 + len(cert), 0, 16 + len(cert)) + SHIM_LOCK + cert
        s.add("MokList", SHIM_LOCK, NV_BS, esl)
    if a.boot_entry:
        number, option = load_option(a.boot_entry)
        s.add(f"Boot{number:04X}", GLOBAL, NV_BS_RT, option)
        s.add("BootOrder", GLOBAL, NV_BS_RT, struct.pack("<H", number))
    open(a.out, "wb").write(s.fd)


if __name__ == "__main__":
    main()
