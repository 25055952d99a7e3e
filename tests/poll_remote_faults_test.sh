#!/usr/bin/env bash
# integral poll with a remote that accepts the connection and never answers (a listener on
# 127.0.0.1 started here): the per-repository timeout ends it, the status file names it with
# its error, it is retried with growing backoff, and the other repositories' hooks run on time
# meanwhile. And a mirror whose object files are deleted: repaired by the next fetch, or, with
# no fetch to come, found before a pending delivery by checking the objects the hook will be
# told about and re-cloned; the deliveries still equal git's own post-receive lines.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/git_daemon.sh"
. "$(dirname "$0")/lib/git_remote.sh"

git_home "Slow Tester" slow@example.org
git config --global protocol.version 0 # loopback git:// with v2 stalls on Nagle

mkdir -p "$WORK/poll" "$WORK/saw"
make_upstreams fast1 fast2
git init -q "$WORK/work"
cd "$WORK/work"
echo 1 >a && git add a && git commit -qm one
for r in fast1 fast2; do git push -q "$WORK/srv/$r.git" main; done

# git daemon for the fast ones
start_git_daemon "$WORK/srv" fast1.git

# the silent remote: accepts every connection, reads nothing, answers nothing
cat >"$WORK/silent.py" <<'PY'
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held = []
while True:
    c, _ = s.accept()
    held.append(c)
PY
timeout 300 python3 "$WORK/silent.py" "$WORK/silent.port" &
PIDS+=("$!")
for _ in $(seq 100); do [[ -s $WORK/silent.port ]] && break; sleep 0.1; done
SPORT=$(cat "$WORK/silent.port")

# our hook: the time it ran, then the lines; it fails when told to, and checks that every
# <new> object is in the mirror (what git_buildbot.py's git log would need)
write_hook <<'HOOK'
#!/bin/bash
dir=$(dirname "$0")
name=$(basename "$GIT_DIR" .git)
data=$(cat)
[[ -e $dir/hook-fails ]] && exit 1
while read -r old new ref; do
  [[ $new == 0000000000000000000000000000000000000000 ]] && continue
  git cat-file -e "$new" || { echo "missing $new" >&2; exit 1; }
done <<<"$data"
printf '%s\n%s\n' "=== $(date +%s%3N)" "$data" >>"$dir/saw/$name"
HOOK

conf=$WORK/poll.conf
{
  poll_conf_head "timeout = 2" "max-backoff = 4"
  cat <<EOF2

[silent]
url = git://127.0.0.1:$SPORT/silent.git
gitdir = silent.git
EOF2
  poll_conf_daemon_repos fast1 fast2
} >"$conf"
ms() { date +%s%3N; }
last_batch() { awk '/^=== /{buf=""; next} {buf=buf $0 "\n"} END{printf "%s", buf}' "$WORK/saw/$1" | sort; }
status_of() { # name field
  python3 -c 'import json,sys; r=[r for r in json.load(open(sys.argv[1]))["repositories"] if r["name"]==sys.argv[2]][0]; print(r[sys.argv[3]])' \
    "$WORK/poll/status.json" "$1" "$2"
}

# --- --once: first sight clones the fast ones; the silent one times out
timeout 60 "$INTEGRAL" poll "$conf" --once --log "$WORK/once.log" && bad "--once succeeded with a silent remote" || ok "--once reports the silent remote as a failure"
echo 2 >>a && git commit -qam two && git branch topic
for r in fast1 fast2; do git push -q "$WORK/srv/$r.git" main topic; done
t0=$(ms)
timeout 60 "$INTEGRAL" poll "$conf" --once --log "$WORK/once.log" || true
t1=$(ms)
for r in fast1 fast2; do
  if [[ "$(last_batch $r)" == "$(git_batch $r)" ]]; then ok "$r delivered like git's post-receive despite the silent remote"; else bad "$r not delivered"; fi
  at=$(grep '^=== ' "$WORK/saw/$r" | tail -n1 | cut -c5-)
  # the silent remote holds one worker for its 2 s timeout; the other worker must not wait
  if ((at - t0 < 2000)); then ok "$r's hook ran $((at - t0)) ms after the start, before the silent remote's timeout"; else bad "$r's hook waited $((at - t0)) ms"; fi
done
if ((t1 - t0 >= 2000 && t1 - t0 < 15000)); then ok "the silent remote cost its timeout ($((t1 - t0)) ms), no more"; else bad "poll took $((t1 - t0)) ms"; fi
err=$(status_of silent last_error)
if [[ $err == *"timed out"* ]]; then ok "status names the silent remote's error: $err"; else bad "status error: '$err'"; fi
if [[ $(status_of fast1 consecutive_failures) == 0 && $(status_of fast1 pending) == 0 ]]; then ok "status: fast1 healthy"; else bad "status fast1"; fi

# --- daemon mode: retries with growing backoff; a push to fast1 is delivered on time
timeout 60 "$INTEGRAL" poll "$conf" --log "$WORK/daemon.log" &
pp=$!
PIDS+=("$pp")
sleep 3
echo 3 >>a && git commit -qam three
tp=$(ms)
git push -q "$WORK/srv/fast1.git" main
delivered=0
for _ in $(seq 100); do
  if [[ "$(last_batch fast1)" == "$(git_batch fast1)" ]] && grep -q "$(git rev-parse HEAD)" "$WORK/saw/fast1"; then delivered=1; break; fi
  sleep 0.1
done
td=$(ms)
if ((delivered && td - tp < 4000)); then ok "daemon: a push to fast1 delivered in $((td - tp)) ms while the silent remote hangs"; else bad "daemon: fast1 delivery ($delivered, $((td - tp)) ms)"; fi
# Until the silent remote has failed three times (timeout 2 s, then backoff 1, 2, 4 s).
for _ in $(seq 200); do
  (($(grep -F '[silent]' "$WORK/daemon.log" | grep -c 'retry in') >= 3)) && break
  sleep 0.1
done
kill -TERM "$pp"
wait "$pp" || true
retries=$(grep -F '[silent]' "$WORK/daemon.log" | grep -o 'retry in [0-9]* s' | awk '{print $3}' | tr '\n' ' ')
echo "silent remote retry delays: $retries"
if python3 - $retries <<'PY'; then ok "silent remote retried with growing backoff, capped by max-backoff"; else bad "backoff: $retries"; fi
import sys
d = [int(x) for x in sys.argv[1:]]
assert len(d) >= 3, d
assert all(b >= a for a, b in zip(d, d[1:])), d    # never shrinks while failing
assert d[0] < d[-1] and max(d) <= 4, d              # grows, up to max-backoff
PY
if (($(status_of silent consecutive_failures) >= 3)); then ok "status counts consecutive failures"; else bad "consecutive_failures"; fi
if ! grep -E '\[fast[12]\].*poll failed' "$WORK/daemon.log"; then ok "the fast remotes never failed"; else bad "a fast remote failed"; fi
sed -i '/^\[silent\]/,$d' "$conf"
poll_conf_daemon_repos fast1 fast2 >>"$conf"
poll_once() { timeout 60 "$INTEGRAL" poll "$conf" --once --log "$WORK/corrupt.log"; }
poll_once || bad "poll without the silent remote failed"

# --- corrupt mirror 1: object files deleted, then a push: the fetch repairs or re-clones
rm -rf "$WORK"/poll/fast2.git/objects/pack/* "$WORK"/poll/fast2.git/objects/[0-9a-f][0-9a-f]
echo 4 >>a && git commit -qam four && git tag v4
git push -q "$WORK/srv/fast2.git" main v4 ":topic"
poll_once || bad "poll after deleting the mirror's objects failed"
if [[ "$(last_batch fast2)" == "$(git_batch fast2)" ]]; then ok "objects deleted + push: delivered like git's post-receive"; else bad "corrupt mirror 1"; diff <(last_batch fast2) <(git_batch fast2) || true; fi
# (git 2.39's fetch re-fetches what the deleted packs held; a failing fetch re-clones)
if git --git-dir="$WORK/poll/fast2.git" fsck --no-dangling --no-progress >/dev/null 2>&1; then ok "the mirror is whole again (git fsck)"; else bad "mirror still broken"; fi

# --- corrupt mirror 2: a delivery pending (hook failing) when the objects vanish; no new push,
# so no fetch: the object check before the hook must find it
echo 5 >>a && git commit -qam five
git push -q "$WORK/srv/fast2.git" main
touch "$WORK/hook-fails"
poll_once && bad "poll succeeded with a failing hook" || true
rm -rf "$WORK"/poll/fast2.git/objects/pack/* "$WORK"/poll/fast2.git/objects/[0-9a-f][0-9a-f]
rm "$WORK/hook-fails"
poll_once || bad "poll with a pending delivery and a broken mirror failed"
if [[ "$(last_batch fast2)" == "$(git_batch fast2)" ]]; then ok "pending delivery after object loss: delivered like git's post-receive"; else bad "corrupt mirror 2"; diff <(last_batch fast2) <(git_batch fast2) || true; fi
if grep -q "fast2.*lacks .* object(s).*re-cloning" "$WORK/corrupt.log"; then ok "missing objects found before the hook ran"; else bad "object check not logged"; fi

finish
