#!/usr/bin/env bash
# integral poll against git itself: for a scripted series of pushes to bare repositories (one
# read through a file path, one served by `git daemon` on 127.0.0.1), the post-receive lines our
# hook receives must equal the lines git's own post-receive hook in each bare repository
# received for the same pushes (order within a batch aside). Also: names with shell
# metacharacters and unicode arrive as data, a failing hook or a downed remote keeps updates
# pending until they are delivered, one broken remote does not block another, SIGTERM stops
# the daemon, and kill -9 at random points never loses or invents a ref move.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/git_daemon.sh"
. "$(dirname "$0")/lib/git_remote.sh"

git_home "Poll Tester" tester@example.org
# loopback git:// with protocol v2 stalls ~44 ms per connection (Nagle); pin v0 for tests
git config --global protocol.version 0

# --- upstreams with git's own post-receive hook recording each batch
make_upstreams up1 up2
git init -q "$WORK/work"
cd "$WORK/work"
git remote add up1 "$WORK/srv/up1.git"
git remote add up2 "$WORK/srv/up2.git"

# --- git daemon on 127.0.0.1 serving up2
start_git_daemon "$WORK/srv" up2.git

# --- our hook: records argv, GIT_DIR and stdin per run
mkdir -p "$WORK/poll"
write_hook <<'HOOK'
#!/bin/sh
# $GIT_DIR is the mirror; one file per repository, appended per run
name=$(basename "$GIT_DIR" .git)
out="$(dirname "$0")/we-saw.$name"
[ -e "$(dirname "$0")/hook-fails" ] && { cat >/dev/null; exit 1; }
# one append per run (O_APPEND, one write), so runs never interleave; git's post-receive lines
# end in LF, and input that does not was cut short by a poller killed while writing it (step
# 8's kill -9): a delivery that never completed, not recorded
blk=$(mktemp "$(dirname "$0")/blk.XXXXXX")
{ echo "--- $*"; cat; } >"$blk"
if [ "$(tail -c 1 "$blk" | od -An -tx1 | tr -d ' ')" != 0a ]; then rm -f "$blk"; exit 1; fi
cat "$blk" >> "$out"
rm -f "$blk"
cat "$GIT_DIR/HEAD" >/dev/null  # GIT_DIR must point at a repository
HOOK

conf=$WORK/poll.conf
{
  poll_conf_head "timeout = 20" "hook-timeout = 20"
  cat <<EOF2

[viafile]
url = $WORK/srv/up1.git
gitdir = m1.git

[viadaemon]
url = git://127.0.0.1:$PORT/up2.git
gitdir = m2.git
EOF2
} >"$conf"

poll_once() { timeout 120 "$INTEGRAL" poll "$conf" --once --log "$WORK/poll.log"; }

# the last batch each side saw, as sorted lines (git's: git_batch)
our_batch() { # repository mirror name m1/m2 → lines of the last run
  awk '/^--- /{buf=""; next} {buf=buf $0 "\n"} END{printf "%s", buf}' "$WORK/we-saw.$1" | sort
}
runs() { grep -c '^--- ' "$WORK/we-saw.$1" 2>/dev/null || echo 0; }

push_both() {
  git push -q up1 "$@"
  git push -q up2 "$@"
}

# step 0: initial history; the first poll clones and announces nothing
echo 1 >a && git add a && git commit -qm one
git tag v0
push_both main v0
if poll_once; then ok "first poll (clone) succeeds"; else bad "first poll failed"; fi
if [[ ! -e $WORK/we-saw.m1 && ! -e $WORK/we-saw.m2 ]]; then ok "no hook run for the initial clone"; else bad "hook ran on clone"; fi

check_step() {
  local what=$1 n1 n2
  poll_once || true
  if [[ "$(our_batch m1)" == "$(git_batch up1)" && -n "$(git_batch up1)" ]]; then
    ok "$what: file remote lines equal git's post-receive"
  else
    bad "$what: file remote"; diff <(our_batch m1) <(git_batch up1) || true
  fi
  if [[ "$(our_batch m2)" == "$(git_batch up2)" ]]; then
    ok "$what: git daemon remote lines equal git's post-receive"
  else
    bad "$what: git daemon remote"; diff <(our_batch m2) <(git_batch up2) || true
  fi
}

# step 1: fast-forward, new branches (metacharacters, unicode), lightweight and annotated tags
echo 2 >>a && git commit -qam two
echo 3 >b && git add b && git commit -qm three
nasty='feat/$(touch${IFS}pwned);x|y&z`id`'"'"'q"'
git branch "$nasty"
git branch "ünïcödé/branch"
git tag light
git tag -a -m "annotated" "v1-\$(id)"
if ! git check-ref-format "refs/heads/a b"; then ok "git itself refuses ref names with spaces"; else bad "space accepted"; fi
push_both main "$nasty" "ünïcödé/branch" light "v1-\$(id)"
check_step "new branches and tags"
if [[ ! -e $WORK/pwned && ! -e $WORK/poll/pwned && ! -e $WORK/work/pwned ]]; then ok "metacharacters stayed data"; else bad "a ref name was executed"; fi
if grep -qF "$nasty" "$WORK/we-saw.m1"; then ok "nasty name delivered verbatim"; else bad "nasty name mangled"; fi

# step 2: forced push, deletion, moved tags
git reset -q --hard HEAD~1
echo 4 >c && git add c && git commit -qm four
git tag -f light >/dev/null
git tag -f -a -m "moved" "v1-\$(id)" >/dev/null
push_both +main ":$nasty" +light "+v1-\$(id)"
check_step "forced push, deletion, moved tags"

# step 3: no change → no hook run
r1=$(runs m1)
poll_once || true
if [[ $(runs m1) == "$r1" ]]; then ok "no change, no hook run"; else bad "hook ran without a change"; fi

# step 4: the hook fails → pending, state kept; then delivered once it works
git branch pend && echo 5 >>a && git commit -qam five
touch "$WORK/hook-fails"
push_both main pend
if poll_once; then bad "--once succeeded with a failing hook"; else ok "--once exits non-zero when a hook fails"; fi
pend=$(timeout 10 "$INTEGRAL" poll "$conf" --status --json | python3 -c 'import json,sys; print(sum(r["pending"] for r in json.load(sys.stdin)["repositories"]))')
if [[ $pend == 4 ]]; then ok "status shows 4 pending updates"; else bad "pending=$pend"; fi
rm "$WORK/hook-fails"
check_step "delivery after the hook recovers"

# step 5: the daemon remote is down; the file remote still delivers; later both
stop_git_daemon
git tag v2 && echo 6 >>b && git add b && git commit -qm six
push_both main v2
poll_once && bad "poll succeeded with a remote down" || true
if [[ "$(our_batch m1)" == "$(git_batch up1)" ]]; then ok "a down remote does not block another"; else bad "file remote blocked"; fi
if timeout 10 "$INTEGRAL" poll "$conf" --status | grep -q viadaemon; then ok "--status lists repositories"; else bad "--status"; fi
start_git_daemon "$WORK/srv" up2.git
sed -i "s|git://127.0.0.1:[0-9]*/|git://127.0.0.1:$PORT/|" "$conf"
poll_once || true
if [[ "$(our_batch m2)" == "$(git_batch up2)" ]]; then ok "delivered after the remote came back"; else bad "not delivered after remote return"; fi

# step 6: corrupt mirror → re-cloned, the pending change still delivered
git branch corrupt-test && push_both corrupt-test
rm -rf "$WORK/poll/m1.git/objects" "$WORK/poll/m1.git/refs"
check_step "after a corrupt mirror"

# step 7: daemon mode stops on SIGTERM
timeout 60 "$INTEGRAL" poll "$conf" --log "$WORK/daemon-poll.log" &
pp=$!
PIDS+=("$pp")
sleep 1.5
kill -TERM "$pp"
set +e
wait "$pp"
rc=$?
set -e
if [[ $rc == 0 ]] && grep -q "stopped by signal" "$WORK/daemon-poll.log"; then ok "SIGTERM stops the daemon cleanly"; else bad "SIGTERM: rc=$rc"; fi

# step 8: kill -9 at random points; every move delivered at least once, none invented
: >"$WORK/we-saw.m1"
all_ids=$(mktemp -p "$WORK")
git -C "$WORK/srv/up1.git" for-each-ref --format='%(objectname)' >"$all_ids"
for i in $(seq 12); do
  case $((i % 4)) in
    0) git tag "k$i" ;;
    1) echo "$i" >>a && git commit -qam "k$i" ;;
    2) git branch "kb$i" ;;
    3) git reset -q --hard HEAD~1 && echo "x$i" >>b && git add b && git commit -qm "f$i" ;;
  esac
  git push -q --force up1 main "kb$i" "k$i" 2>/dev/null || git push -q --force up1 main
  git -C "$WORK/srv/up1.git" for-each-ref --format='%(objectname)' >>"$all_ids"
  timeout 60 "$INTEGRAL" poll "$conf" --once --log "$WORK/kill.log" &
  kp=$!
  sleep "0.$((RANDOM % 6))"
  kill -9 "$kp" 2>/dev/null || true
  wait "$kp" 2>/dev/null || true
  # a hook the killed poller started runs on; let it finish before the next poll, or its
  # record could land after the next run's and look like a broken chain
  for _ in $(seq 600); do pgrep -f "$WORK/hook.sh" >/dev/null || break; sleep 0.05; done
done
poll_once || true
# final delivered state = upstream refs (nothing lost)
if diff <(sed 1d "$WORK/poll/m1.git.delivered") \
        <(git -C "$WORK/srv/up1.git" for-each-ref --format='%(objectname) %(refname)' refs/heads refs/tags | sort -k2) >/dev/null; then
  ok "after 12 kill -9 runs the delivered state equals the upstream"
else
  bad "delivered state differs from upstream"
fi
# every delivered line names ids the ref really held (or zero): none invented; and per ref
# the delivered transitions chain (each old is the previous new, or a redelivery of it)
if python3 - "$WORK/we-saw.m1" "$all_ids" "$WORK/srv/up1.git" <<'PY'
import subprocess, sys
lines = [l.split() for l in open(sys.argv[1]) if not l.startswith('---') and l.strip()]
known = set(open(sys.argv[2]).read().split()) | {'0' * 40}
bad = [l for l in lines if l[0] not in known or l[1] not in known]
# a redelivery (killed between hook success and the state write) repeats the previous old id
last = {}
for old, new, ref in lines:
    p = last.get(ref)
    if p is not None and old not in p:
        bad.append((old, new, ref))
    last[ref] = (old, new)
sys.exit(1 if bad else 0)
PY
then ok "kill -9: no invented ids, transitions chain per ref"; else bad "kill -9: invented or broken chain"; fi

finish
