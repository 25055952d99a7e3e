#!/usr/bin/env bash
# Untrusted text in human output: a crafted TCG log (crypto-agile, SHA-256) whose device paths,
# variable names and action strings carry CR, LF, ESC sequences, C1 controls and bytes that
# are not UTF-8 (some trying to forge "PCR 7 sha256: match" / "verify: OK" lines), and a binary
# IMA list with such a file name. Human output must escape every control character (no raw
# ESC/CR/BEL reaches stdout, no forged line starts a line), say on stderr that it did, and
# --json/--yaml must stay valid UTF-8 documents. The inputs are written by hand below from the
# TCG PC Client and IMA layouts, digests by Python's hashlib (OpenSSL).
. "$(dirname "$0")/lib/common.sh"
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
cd "$WORK"

python3 - <<'PY'
import hashlib, struct
le16 = lambda v: struct.pack('<H', v)
le32 = lambda v: struct.pack('<I', v)
le64 = lambda v: struct.pack('<Q', v)
u16 = lambda s: s.encode('utf-16-le') + b'\0\0'

spec = b'Spec ID Event03\0' + le32(0) + bytes([0, 2, 0, 2]) + le32(1) + le16(0x000b) + le16(32) + b'\0'
log = le32(0) + le32(3) + bytes(20) + le32(len(spec)) + spec   # EV_NO_ACTION, TCG_PCR_EVENT form

def event(pcr, typ, data):
    global log
    log += le32(pcr) + le32(typ) + le32(1) + le16(0x000b) + hashlib.sha256(data).digest()
    log += le32(len(data)) + data

def image(node_type, sub, node):   # EV_EFI_BOOT_SERVICES_APPLICATION, one device-path node
    path = bytes([node_type, sub]) + le16(len(node) + 4) + node + b'\x7f\xff\x04\x00'
    event(4, 0x80000003, le64(0x1000) + le64(0x2000) + le64(0) + le64(len(path)) + path)

def variable(pcr, typ, name, value):
    guid = bytes.fromhex('61dfe48bca93d211aa0d00e098032b8c')
    event(pcr, typ, guid + le64(len(name)) + le64(len(value)) + name.encode('utf-16-le') + value)

# File path node: ESC sequences that clear the line and return to column 1, then forged lines.
image(4, 4, u16('\\EFI\x1b[2K\x1b[1Gverify: OK\r\nPCR 7 sha256: match\n\x1b]0;title\x07'))
# URI node: raw bytes, not UTF-8, with CSI as a C1 byte.
image(3, 0x18, b'http://\xff\xfe/\x1b[31m\r\nverify: OK\x9b2J')
# EFI variable name with C1 (U+009B) and ESC.
variable(7, 0x80000001, 'SecureBoot\u009b2J\x1b[32m', b'\x01')
# Printable action string with CR LF.
event(5, 0x80000007, b'Calling\r\nPCR 7 sha256: match')
open('crafted.bin', 'wb').write(log)

# Binary IMA list (ima-ng): one entry whose file name forges a line and colours the terminal.
def ima(name):
    digest = b'sha256:\0' + bytes(32)
    data = le32(len(digest)) + digest + le32(len(name) + 1) + name + b'\0'
    return le32(10) + hashlib.sha1(data).digest() + le32(6) + b'ima-ng' + le32(len(data)) + data
open('crafted.ima', 'wb').write(ima(b'/usr/bin/x\nverify: OK\n\x1b[31m\rPCR 7 sha256: match\xff'))
PY

# check NAME FILE: FILE (a command's stdout) has no raw control byte but LF, and no line that
# begins with forged text.
check() {
  local name=$1 f=$2
  if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$f"; then
    bad "$name: raw control bytes reach stdout: $(LC_ALL=C grep -n $'[\x01-\x09\x0b-\x1f\x7f]' "$f" | cat -v | head -3)"
  else
    ok "$name: no raw control byte on stdout"
  fi
  if grep -qE '^(verify: OK|PCR 7 sha256: match)' "$f"; then
    bad "$name: a forged line: $(grep -nE '^(verify: OK|PCR 7 sha256: match)' "$f" | cat -v)"
  else
    ok "$name: no forged line"
  fi
  if python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$f" 2>/dev/null; then
    ok "$name: stdout is UTF-8"
  else
    bad "$name: stdout is not UTF-8"
  fi
}
# run WANT NAME ARGS...: stdout to NAME.out, stderr to NAME.err
run() {
  local want=$1 name=$2
  shift 2
  set +e
  "$INTEGRAL" "$@" >"$name.out" 2>"$name.err"
  local rc=$?
  set -e
  if [[ $rc -eq $want ]]; then ok "$name: exit $rc"; else bad "$name: exit $rc, want $want: $(cat -v "$name.err" | head -3)"; fi
}
noted() {
  grep -q "shown escaped" "$1.err" && ok "$1: stderr says text was escaped" ||
    bad "$1: no note on stderr: $(cat -v "$1.err")"
}

run 0 show eventlog show crafted.bin
check show show.out
noted show
grep -qF 'Uri(http://\xff\xfe/\x1b[31m  verify: OK\x9b2J)' show.out &&
  ok "show: the URI's bytes are shown as escapes" || bad "show: URI not shown escaped: $(grep -a Uri show.out | cat -v)"
grep -qF 'SecureBoot\u009b2J\x1b[32m' show.out && ok "show: C1 and ESC in a variable name escaped" ||
  bad "show: variable name: $(grep -a SecureBoot show.out | cat -v)"

run 0 json eventlog show --json crafted.bin
if [[ $(jq '.events | length' json.out 2>/dev/null) == 5 ]]; then ok "json: a JSON document of 5 events"; else bad "json: $(head -c 300 json.out | cat -v)"; fi
[[ $(jq -r '.events[2].description' json.out) == 'Uri(http://\xff\xfe/'$'\x1b''[31m  verify: OK\x9b2J)' ]] &&
  ok "json: invalid bytes as \\xHH text, ESC kept as a JSON escape" ||
  bad "json: description: $(jq -r '.events[2].description' json.out | cat -v)"

run 0 yaml eventlog show --yaml crafted.bin
check yaml yaml.out
python3 - yaml.out <<'PY' && ok "yaml: the string holds the same text as --json" || bad "yaml: DevicePath not as expected"
import sys
text = open(sys.argv[1], encoding='utf-8').read()
want = '    DevicePath: "Uri(http://\\\\xff\\\\xfe/\\x1b[31m\\r\\nverify: OK\\\\x9b2J)"\n'
sys.exit(0 if want in text else 1)
PY

run 0 replay replay crafted.bin
check replay replay.out

printf 'sha256:\n  4 : 0x%064d\n' 0 >zero.yaml
run 1 verify-pcrs verify --log crafted.bin --pcrs zero.yaml
check verify-pcrs verify-pcrs.out
noted verify-pcrs

stage() { printf '[[stage]]\ntype = "digest"\npcr = %s\nevent_type = "%s"\nsha256 = "%s"\nartifact = "%s"\n\n' "$@"; }
{
  echo 'banks = ["sha256"]'
  stage 4 EV_EFI_BOOT_SERVICES_APPLICATION "$(printf a | sha256sum | cut -d' ' -f1)" a.efi
  stage 4 EV_EFI_BOOT_SERVICES_APPLICATION "$(printf b | sha256sum | cut -d' ' -f1)" b.efi
} >expect.toml
run 1 verify-expect verify --log crafted.bin --expect expect.toml
check verify-expect verify-expect.out
grep -q 'first difference at event 1' verify-expect.out && ok "verify-expect: names the divergence" ||
  bad "verify-expect: $(cat -v verify-expect.out)"
noted verify-expect

run 0 ima-show eventlog show --format ima crafted.ima
check ima-show ima-show.out
noted ima-show
grep -qF '/usr/bin/x\nverify: OK\n\x1b[31m\rPCR 7 sha256: match\xff' ima-show.out && ok "ima-show: the name shown escaped" ||
  bad "ima-show: $(cat -v ima-show.out)"
run 0 ima-json eventlog show --format ima --json crafted.ima
[[ $(jq -r '.entries[0].name' ima-json.out) == '/usr/bin/x'$'\n''verify: OK'$'\n'$'\x1b''[31m'$'\r''PCR 7 sha256: match\xff' ]] &&
  ok "ima-json: the name kept, its invalid byte as \\xff" || bad "ima-json: $(cat -v ima-json.out)"

# Plain text draws no note.
printf 'plain' >plain.txt
run 0 hash hash plain.txt 2>/dev/null || true
if [[ -s hash.err ]]; then bad "a plain command wrote to stderr: $(cat hash.err)"; else ok "no note when nothing was escaped"; fi

finish
