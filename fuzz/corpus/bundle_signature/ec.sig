{
  "format": "integral-bundle-signature",
  "version": 1,
  "file": {
    "name": "fb.json",
    "size": 40,
    "sha256": "d237595811f66510ca5d7873a011bcb55de1d3b74083c028d8f3b755478a7812"
  },
  "key": {
    "id": "81546df6fe7f02e1e936cdec762ff76132928b69ad88b8b4fbd2d7f958026ce8",
    "public_key": "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7vsEqbmEVfrGtP659VUXMJiTDGYK\nujnDOOYuG2dM5MhGWmm18mf8/yaR2OOOFcPlJ8tPSFrS76A0jsWCcBEkdA==\n-----END PUBLIC KEY-----\n"
  },
  "algorithm": "ecdsa-sha256",
  "signature": "MEUCIQCNPHbnKPeWhpMHcPIaWO9RXanJ1HlUQHMPiDt2VOd80QIgQlFn8+FPxeX3mZeLsnfVdGctBIn9UqMya5MbisjlCuQ="
}
