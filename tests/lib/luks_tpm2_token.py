#!/usr/bin/env python3
"""Opens a LUKS2 keyslot through systemd's own TPM2 token plugin, as systemd-cryptsetup does,
without activating a device (the test machines have no device-mapper).

usage: luks_tpm2_token.py IMAGE TPM2-DEVICE SIGNATURE.json
Prints libcryptsetup's result (the keyslot, or a negative errno) and exits 0 when a keyslot
opened. The plugin's parameters are systemd 252's systemd_tpm2_plugin_params (search PCR mask,
TPM2 device, signature file), the struct systemd-cryptsetup passes as usrptr; libcryptsetup's
crypt_activate_by_token_pin with no name checks the volume key only.
"""
import ctypes
import sys


class PluginParams(ctypes.Structure):
    _fields_ = [("search_pcr_mask", ctypes.c_uint32),
                ("device", ctypes.c_char_p),
                ("signature_path", ctypes.c_char_p)]


def main():
    image, device, signature = sys.argv[1:4]
    lib = ctypes.CDLL("libcryptsetup.so.12")
    cd = ctypes.c_void_p()
    if lib.crypt_init(ctypes.byref(cd), image.encode()) != 0:
        sys.exit(f"{image}: crypt_init failed")
    try:
        if lib.crypt_load(cd, b"LUKS2", None) != 0:
            sys.exit(f"{image}: not LUKS2")
        params = PluginParams(0xFFFFFFFF, device.encode(), signature.encode())
        any_token = -1
        r = lib.crypt_activate_by_token_pin(cd, None, b"systemd-tpm2", any_token, None,
                                            ctypes.c_size_t(0), ctypes.byref(params), 0)
    finally:
        lib.crypt_free(cd)
    print(r)
    sys.exit(0 if r >= 0 else 1)


if __name__ == "__main__":
    main()
