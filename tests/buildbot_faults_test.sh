#!/usr/bin/env bash
# integral build on buildbot under faults: a worker killed with kill -9 in the middle of a
# build (buildbot retries the build on the other worker, and the bundle equals a local build of
# the commit byte for byte), and a master that is down while a change arrives (`integral poll`
# keeps it pending and delivers it once the master is back, which then builds it).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/buildbot.sh"

# Fault injection: the workers run integral through a wrapper that holds each build for a few
# seconds (recording its PID, so this test can stop what outlives a killed worker).
cat >"$WORK/slow-integral" <<EOF2
#!/bin/sh
echo \$\$ >>"$WORK/slow.pids"
sleep 4
exec "$INTEGRAL" "\$@"
EOF2
chmod +x "$WORK/slow-integral"
stop_slow() {
  local p
  for p in $(cat "$WORK/slow.pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
}
trap 'stop_slow; cleanup' EXIT

# --- the master from contrib/buildbot/, two workers, the service-VM repository
integral_buildbot "$WORK/slow-integral"

# --- kill -9 of the worker running the build
echo "ndvm, release 2" >trees/ndvm/etc/hostname
git commit -qam "ndvm: release 2" && git push -q origin main
rev=$(git rev-parse HEAD)
poll && ok "poll delivered the push" || bad "poll failed"
# Mid-build: the integral step has started on some worker (the wrapper has written its PID).
victim=
for _ in $(seq 600); do
  [[ -s $WORK/slow.pids ]] && victim=$(builds_of "$rev" all | awk '$1 == "-" { print $2; exit }')
  [[ -n $victim ]] && break
  sleep 0.1
done
if [[ -n $victim ]]; then
  # As when the worker's machine dies: the worker and the command it runs, both at once.
  kill -9 "$(cat "$WORK/$victim/twistd.pid")" $(cat "$WORK/slow.pids") 2>/dev/null || true
  : >"$WORK/slow.pids"
  ok "killed worker $victim (kill -9) while it ran integral build"
else
  bad "no build of $rev started"
fi
wait_build "$rev" 0 || bad "no successful build of $rev after the kill"
builds=$(builds_of "$rev")
echo "builds of $rev (result worker): $(tr '\n' ';' <<<"$builds")"
# buildbot's results (buildbot.process.results): 0 SUCCESS, 5 RETRY
last=$(build_of "$rev")
if grep -q "^5 $victim " <<<"$builds" && [[ $last == "0 "* && $last != "0 $victim" ]]; then
  ok "the interrupted build was retried (RETRY) and succeeded on the other worker"
else
  bad "expected RETRY on $victim, then SUCCESS elsewhere"
fi
git clone -q "$WORK/up.git" "$WORK/local" && git -C "$WORK/local" checkout -q "$rev"
INTEGRAL_CACHE_DIR=$WORK/local-cache "$INTEGRAL" build "$WORK/local/build.toml" -o "$WORK/local-out" >/dev/null
diff -r "$WORK/local-out" "$WORK/master/bundles/$rev" >/dev/null &&
  ok "the retried build's outputs equal an undisturbed local build, byte for byte" || bad "retried build differs"

# --- the master down while a change arrives
pid=$(cat "$WORK/master/twistd.pid")
kill "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
echo "syncvm, release 2" >trees/syncvm/etc/hostname
git commit -qam "syncvm: release 2" && git push -q origin main
rev2=$(git rev-parse HEAD)
poll >/dev/null 2>&1 && bad "poll claimed delivery to a master that is down" ||
  ok "poll: the master is down, the change stays pending"
start_master && ok "master restarted" || bad "master did not restart"
poll && ok "poll delivered the pending change" || bad "poll after the restart"
wait_build "$rev2" 0 && ok "the pending change was built (on $(build_of "$rev2" | cut -d' ' -f2))" ||
  bad "no successful build of the pending change"
[[ -f $WORK/master/bundles/$rev2/reference-values.json ]] && ok "its bundle is on the master" || bad "no bundle for $rev2"
finish
