#!/usr/bin/env bash
# integral poll under kill -9: 50 runs of `integral poll --once`, each killed at a random
# moment (spread over clone, ls-remote, fetch, hook and state write), with remotes served by
# `git daemon` on 127.0.0.1 and random pushes (fast-forwards, forced pushes, new branches,
# deletions, new and moved tags) between runs. Half of the kills also kill the poller's
# children (as a service manager would), half leave them to finish as orphans.
#
# Ground truth: git's own post-receive hook in each upstream, tagged with the push batch.
# Checked: every line our hook received names, as <new>, exactly what the ref held after the
# batch of the run that delivered it, and as <old> what was last delivered (or, after a
# kill before the state write, the same <old> again): nothing invented; every ref move of
# every batch lies inside some delivered line: nothing lost; the final delivered state
# equals the upstreams. POLL_FAULT_SEED=N reproduces a run (the seed is printed).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/git_daemon.sh"
. "$(dirname "$0")/lib/git_remote.sh"

START=$(date +%s)
SEED=${POLL_FAULT_SEED:-$(($(date +%s) % 100000))}
RUNS=${POLL_FAULT_RUNS:-50}
echo "seed: $SEED (POLL_FAULT_SEED=$SEED reproduces the choices)"
RANDOM=$SEED

git_home "Fault Tester" fault@example.org
git config --global protocol.version 0 # loopback git:// with v2 stalls on Nagle
git config --global gc.auto 0

REPOS=(u1 u2 u3)
mkdir -p "$WORK/srv" "$WORK/poll" "$WORK/truth" "$WORK/saw"
for r in "${REPOS[@]}"; do
  git init -q --bare "$WORK/srv/$r.git"
  # git's own post-receive: the ground truth of every push, tagged with its batch
  cat >"$WORK/srv/$r.git/hooks/post-receive" <<HOOK
#!/bin/sh
{ echo "=== \$BATCH"; cat; } >> "$WORK/truth/$r"
HOOK
  chmod +x "$WORK/srv/$r.git/hooks/post-receive"
  git init -q "$WORK/w/$r"
  (
    cd "$WORK/w/$r"
    echo "$r" >f && git add f && git commit -qm "$r root"
    for d in 1 2 3 4 5 6 7 8; do git branch "d$d"; done
    git tag t0
    git tag -a -m "moving 0" mt
  )
done


# one push of each work repository's refs, mirroring deletions
BATCH=0
push_all() { # [repos...] (default: all)
  export BATCH
  local r
  for r in "${@:-${REPOS[@]}}"; do
    git -C "$WORK/w/$r" push -q --force --prune "$WORK/srv/$r.git" \
      'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'
  done
}
push_all
start_git_daemon "$WORK/srv" u1.git

# our hook: the run (epoch) it was started in, then its stdin, in one write; then a short
# pause, which widens the window between the hook's success and the state write
write_hook <<'HOOK'
#!/bin/bash
name=$(basename "$GIT_DIR" .git)
data=$(cat)
dir=$(dirname "$0")
printf '%s\n%s\n' "=== $(cat "$dir/epoch")" "$data" >>"$dir/saw/$name"
sleep "0.0$((RANDOM % 6))"
HOOK
echo 0 >"$WORK/epoch"

conf=$WORK/poll.conf
{
  poll_conf_head "timeout = 30" "hook-timeout = 30"
  poll_conf_daemon_repos "${REPOS[@]}"
} >"$conf"

ms() { date +%s%3N; }
poll_once() { timeout 120 "$INTEGRAL" poll "$conf" --once --log "$WORK/poll.log"; }

# first sight: clones, no hook; then one timed poll with a change, to size the kill window
poll_once || { bad "first poll failed"; finish; }
BATCH=0
for r in "${REPOS[@]}"; do (cd "$WORK/w/$r" && echo calib >>f && git commit -qam calib); done
push_all
t0=$(ms)
poll_once || bad "calibration poll failed"
window=$(($(ms) - t0))
((window < 300)) && window=300
echo "a full poll with changes took ${window} ms; kills land in [0, ${window}] ms"
for r in "${REPOS[@]}"; do
  git -C "$WORK/srv/$r.git" for-each-ref --format='%(objectname) %(refname)' >"$WORK/truth/$r.base"
  : >"$WORK/truth/$r"
done
rm -f "$WORK"/saw/*

# random ref moves in one work repository for batch $BATCH (never reusing an id on a ref:
# created branches get fresh names, deletions take the initial d* branches only)
mutate() {
  local r=$1 k ops
  cd "$WORK/w/$r"
  ops=$((1 + RANDOM % 3))
  for ((k = 0; k < ops; k++)); do
    case $((RANDOM % 7)) in
      0 | 1) echo "$BATCH.$k" >>f && git commit -qam "b$BATCH.$k ff" ;;
      2)
        if git rev-parse -q --verify HEAD~1 >/dev/null; then
          git reset -q --hard HEAD~1
          echo "forced $BATCH.$k" >>f && git commit -qam "b$BATCH.$k forced"
        fi
        ;;
      3) git branch "nb$BATCH.$k" ;;
      4)
        local d
        d=$(git for-each-ref --format='%(refname:short)' 'refs/heads/d*' | head -n1)
        [[ -n $d ]] && git branch -q -D "$d"
        ;;
      5) git tag "tg$BATCH.$k" ;;
      6) git tag -f -a -m "moving $BATCH.$k" mt >/dev/null ;;
    esac
  done
  cd - >/dev/null
}

nclones() { # interrupted clones lying around
  local n=0 f
  for f in "$WORK"/poll/*.tmp-clone; do if [[ -e $f ]]; then n=$((n + 1)); fi; done
  echo "$n"
}
session_pids() { ps -e -o pid=,sid= | awk -v s="$1" '$2 == s && $1 != s {print $1}'; }

declare -A phase=()
for ((run = 1; run <= RUNS; run++)); do
  BATCH=$run
  if ((RANDOM % 5)); then
    moved=()
    for r in "${REPOS[@]}"; do
      if ((RANDOM % 3)); then
        mutate "$r"
        moved+=("$r")
      fi
    done
    ((${#moved[@]})) && push_all "${moved[@]}"
  fi
  # now and then a lost mirror, so kills also land in clones
  if ((RANDOM % 6 == 0)); then rm -rf "$WORK/poll/${REPOS[RANDOM % 3]}.git"; fi
  echo "$run" >"$WORK/epoch"
  before=$(cat "$WORK"/poll/*.delivered | md5sum)
  clones_before=$(nclones)
  delay=$((RANDOM * window / 32768))
  # its own session: the children it leaves behind can be found (and stopped) by session id
  setsid "$INTEGRAL" poll "$conf" --once --log "$WORK/kill.log" &
  pp=$!
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill -9 "$pp" 2>/dev/null || true
  wait "$pp" 2>/dev/null || true
  left=$(session_pids "$pp")
  if ((run % 2)) && [[ -n $left ]]; then
    kill -9 $left 2>/dev/null || true
  fi
  for _ in $(seq 200); do [[ -z $(session_pids "$pp") ]] && break; sleep 0.05; done
  after=$(cat "$WORK"/poll/*.delivered | md5sum)
  if [[ $before != "$after" ]]; then
    p=state-advanced
  elif grep -qx "=== $run" "$WORK"/saw/* 2>/dev/null; then
    p=hook-ran-unconfirmed
  elif (($(nclones) > clones_before)); then
    p=in-clone
  else
    p=before-hook
  fi
  phase[$p]=$((${phase[$p]:-0} + 1))
done
echo "$RUNS kill runs in $(($(date +%s) - START)) s; kill points: $(for p in "${!phase[@]}"; do printf '%s=%s ' "$p" "${phase[$p]}"; done)"

# recovery: one clean poll delivers whatever is still pending
echo $((RUNS + 1)) >"$WORK/epoch"
BATCH=$RUNS
poll_once && ok "a clean poll after $RUNS kill -9 runs succeeds" || bad "final poll failed"

for r in "${REPOS[@]}"; do
  if diff <(sed 1d "$WORK/poll/$r.git.delivered") \
    <(git -C "$WORK/srv/$r.git" for-each-ref --format='%(objectname) %(refname)' refs/heads refs/tags | sort -k2) >/dev/null; then
    ok "$r: delivered state equals the upstream"
  else
    bad "$r: delivered state differs from the upstream"
  fi
done

if python3 - "$WORK" "$RUNS" "${REPOS[@]}" <<'PY'; then ok "every ref move of $RUNS batches delivered at least once, none invented"; else bad "lost or invented ref moves (seed $SEED)"; fi
import sys
work, runs, repos = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
Z = "0" * 40
fail = 0
stats = {"lines": 0, "moves": 0, "redelivered": 0}
def blocks(path):
    out, cur = [], None
    try:
        text = open(path, encoding="utf-8", errors="surrogateescape").read()
    except FileNotFoundError:
        return out
    for l in text.splitlines():
        if l.startswith("=== "):
            cur = (int(l[4:]), [])
            out.append(cur)
        elif l.strip():
            cur[1].append(l.split(" ", 2))
    return out
for repo in repos:
    state = {}
    for l in open(f"{work}/truth/{repo}.base"):
        i, ref = l.split()
        if ref.startswith(("refs/heads/", "refs/tags/")):
            state[ref] = i
    # S[b]: the refs after batch b, from git's post-receive lines (checked to chain)
    S = [dict(state)]
    truth = {b: lines for b, lines in blocks(f"{work}/truth/{repo}")}
    for b in range(1, runs + 1):
        for old, new, ref in truth.get(b, []):
            if state.get(ref, Z) != old:
                print(f"{repo}: ground truth does not chain at {ref} batch {b}"); fail = 1
            if new == Z:
                state.pop(ref, None)
            else:
                state[ref] = new
        S.append(dict(state))
    S.append(dict(state))  # the final clean run
    refs = set().union(*S)
    pos = {}
    for ref in refs:
        seen = {}
        for b, s in enumerate(S):
            v = s.get(ref, Z)
            if v in seen and v != Z and S[b - 1].get(ref, Z) != v:
                print(f"{repo}: test error: {ref} reuses {v}"); fail = 1
            seen.setdefault(v, b)
        pos[ref] = seen
    got = {}
    for run, lines in blocks(f"{work}/saw/{repo}"):
        for old, new, ref in lines:
            stats["lines"] += 1
            if run > runs + 1 or new != S[run].get(ref, Z) or old == new:
                print(f"{repo}: invented: run {run}: {old} {new} {ref} (ref held {S[run].get(ref, Z)})"); fail = 1
                continue
            prev = got.get(ref)
            allowed = {S[0].get(ref, Z)} if prev is None else {prev[1], prev[0]}
            if old not in allowed:
                print(f"{repo}: run {run}: {ref} old {old} is neither the delivered nor the pending base"); fail = 1
            if prev is not None and old == prev[0]:
                stats["redelivered"] += 1
            got.setdefault(ref + "#lines", []).append((pos[ref].get(old, 0), run))
            got[ref] = (old, new)
    for ref in refs:
        spans = got.get(ref + "#lines", [])
        for b in range(1, runs + 1):
            if S[b].get(ref, Z) != S[b - 1].get(ref, Z):
                stats["moves"] += 1
                if not any(p < b <= r for p, r in spans):
                    print(f"{repo}: lost: {ref} moved in batch {b} and no delivered line covers it"); fail = 1
print("checked: {lines} delivered lines ({redelivered} redelivered after a kill), {moves} ref moves".format(**stats))
sys.exit(fail)
PY

finish
