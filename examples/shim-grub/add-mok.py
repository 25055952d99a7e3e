#!/usr/bin/env python3
"""Enrolls an X.509 certificate as a Machine Owner Key in a copy of an OVMF variable store, as
MokManager would leave it: the MokList variable (SHIM_LOCK_GUID, non-volatile, boot-services
only) holding one EFI_SIGNATURE_LIST with the certificate, owner SHIM_LOCK_GUID. The variable is
appended to the store's authenticated-variable area (EDK2's AUTHENTICATED_VARIABLE_HEADER,
state VAR_ADDED).

usage: add-mok.py VARS.fd CERT.der OUT.fd"""
import struct
import sys
import uuid

AUTH_STORE = uuid.UUID("aaf32c78-947b-439a-a180-2e144ec37792").bytes_le
X509 = uuid.UUID("a5c059a1-94e4-4aa7-87b5-ab155c2bf072").bytes_le
SHIM_LOCK = uuid.UUID("605dab50-e046-4300-abb6-3dd810dd8b23").bytes_le
HEADER = 60  # AUTHENTICATED_VARIABLE_HEADER


def main(src, cert_file, dst):
    fd = bytearray(open(src, "rb").read())
    cert = open(cert_file, "rb").read()
    if fd[40:44] != b"_FVH":
        sys.exit(f"{src}: no firmware volume header")
    store = struct.unpack_from("<H", fd, 48)[0]
    if fd[store:store + 16] != AUTH_STORE:
        sys.exit(f"{src}: the variable store at {store:#x} is not the authenticated format")
    size = struct.unpack_from("<I", fd, store + 16)[0]
    at, end = store + 28, store + size
    while at + HEADER <= end and struct.unpack_from("<H", fd, at)[0] == 0x55AA:
        state = fd[at + 2]
        name_size, data_size = struct.unpack_from("<II", fd, at + 36)
        name = fd[at + HEADER:at + HEADER + name_size].decode("utf-16-le").rstrip("\0")
        if name == "MokList" and state == 0x3F:
            sys.exit(f"{src}: already holds a MokList")
        at = (at + HEADER + name_size + data_size + 3) & ~3
    esl = X509 + struct.pack("<III", 28 + 16 + len(cert), 0, 16 + len(cert)) + SHIM_LOCK + cert
    name = "MokList\0".encode("utf-16-le")
    var = struct.pack("<HBBIQ16sIII", 0x55AA, 0x3F, 0, 0x3, 0, bytes(16), 0, len(name), len(esl))
    var += SHIM_LOCK + name + esl
    if at + len(var) > end or any(b != 0xFF for b in fd[at:at + len(var)]):
        sys.exit(f"{src}: no free space for MokList at {at:#x}")
    fd[at:at + len(var)] = var
    open(dst, "wb").write(fd)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
