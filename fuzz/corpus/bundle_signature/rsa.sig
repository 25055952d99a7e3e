{
  "format": "integral-bundle-signature",
  "version": 1,
  "file": {
    "name": "fb.json",
    "size": 40,
    "sha256": "d237595811f66510ca5d7873a011bcb55de1d3b74083c028d8f3b755478a7812"
  },
  "key": {
    "id": "9bbcf3d3c232f36087f09e00519703a61cc5c8f20216c21c767d77a80014f467",
    "public_key": "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAh705QAIe/Pu80j5Oq81/\nX6QARqQneYhkOpfPu5Nz0kY2JELoHtJBPn30ehptWLSm4u0aJ0FTd3hzBAV5d4TK\ntsFn2JFD8OsWAknCFep/zMOFI3e5Wxq1E4lnfTQXaHGKWcTJnBHEhLB1rf08hHfY\nMDQIA5bHqA5YZ2Il2A1K79Fqta5Qarb5YejBkcX9WtEZNCC+zdGqYeqFwGUKPI9k\nu//8gZBE3yZaO0iobBW2Siu3o0N7xItJ3Aeuv10sgSuhXk/+FAQUvOjyfSTYPvUk\nvDkP+JaTe3QbU6WOuml4CsaLTXLrmUPRJ26ixWqJ7s5KpzlWLgnqXOm+TrV2OLYm\nawIDAQAB\n-----END PUBLIC KEY-----\n"
  },
  "algorithm": "rsa-pkcs1v15-sha256",
  "signature": "H/vVbEzBvklnqjHjDh1c1k1yh/cx83d9812yUBYS65UEy995KBCPHuCW79xS9iXvG2Fxc7uLrPHp1zOqAx7a3ovIeDAz1h0JgylAWAAiThKpX8beHUOBUHQzC2VjB4viHQju6jIL2E0z9Ip0F9fUGDIa+YXI5OmIXSDzPEusXqN8d+VTjrszGE4Hmcr8qRWJHmVQhctyvnf2CT1LuY+5VsnrANhhw2SDsZ841nxqTtS+Iq7nU823qJyJiMFHBS3iBB33OIdMZH80E8aoIQ3XVZHFEJqPasq44qlQx8bLtsnmeBe1RdSwn2C61GhtcSjMDZwLgKS4s5dl4ctoQMNIDQ=="
}
