#!/usr/bin/env bash
# The README's main job on the bundled example succeeds, its image is byte-identical across two
# builds, and a one-byte change to the image makes verify fail on PCR 9.
. "$(dirname "$0")/lib/common.sh"
example="$(dirname "$0")/../examples/meta-measured"

if "$example/run.sh" "$WORK/a" >"$WORK/a.log" 2>&1 && grep -q "verify: OK" "$WORK/a.log"; then
  ok "examples/meta-measured/run.sh verifies"
else
  bad "examples/meta-measured/run.sh failed"
  cat "$WORK/a.log"
fi
"$example/build-rootfs.sh" "$WORK/b"
if cmp -s "$WORK/a/rootfs.img" "$WORK/b/rootfs.img"; then
  ok "root image is byte-identical across builds"
else
  bad "root image differs between builds"
fi
printf 'X' | dd of="$WORK/b/rootfs.img" bs=1 seek=$((4096 * 3 + 17)) conv=notrunc status=none
cp "$example/boot.toml" "$WORK/b/"
expect_refusal "changed image -> verify exit 1 naming PCR 9" "first difference in PCR 9 bank sha1" \
  "$INTEGRAL" verify --expect "$WORK/b/boot.toml" --pcrs "$WORK/a/observed.yaml"
finish
