#!/usr/bin/env bash
# integral poll's buildbot changes, case by case, in a real buildbot 3.7 master's database
# (Debian's package, 127.0.0.1), against rows written by hand from git_buildbot.py's rules
# (src/integral/poll/buildbot.cpp lists them); and, for the same pushes, the revisions the
# master's own GitPoller records, with the reasons where it differs by design.
. "$(dirname "$0")/lib/common.sh"

. "$(dirname "$0")/lib/buildbot.sh"
# Commit times far in the past: git_buildbot.py sends none, so the master must stamp its own.
export GIT_COMMITTER_DATE="2001-02-03T04:05:06Z" GIT_AUTHOR_DATE="2001-02-03T04:05:06Z"
A="Alice Dev <alice@example.org>"

# --- upstream, with main at c1 before anything polls it
buildbot_upstream
echo 1 >a.txt && git add a.txt && git commit -qm one
c1=$(git rev-parse HEAD)
git push -q origin main

# --- master: integral's changes arrive through PBChangeSource; a GitPoller watches the same
# repository (its changes carry project 'gitpoller')
create_master integral-poll-semantics-test \
  "changes.GitPoller(repourl='$WORK/up.git', branches=True, pollInterval=1, pollAtLaunch=True,
                    project='gitpoller', workdir='gitpoller-work')"
start_master || {
  bad "buildbot master did not start"
  finish
}
ok "buildbot master started"

DB=$WORK/master/state.sqlite
# The changes with an id above $1 from project $2: one line each, fields separated by '|':
# revision|branch|author|comments (Python repr)|files in order|category|received-time-ok
rows() {
  "$PY" - "$DB" "$1" "$2" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
for cid, rev, br, who, com, cat, when in db.execute(
        'select changeid, revision, branch, author, comments, category, when_timestamp '
        'from changes where changeid > ? and project = ? order by changeid',
        (int(sys.argv[2]), sys.argv[3])):
    files = ','.join(f for (f,) in db.execute(
        'select filename from change_files where changeid = ? order by rowid', (cid,)))
    # git_buildbot.py sends no time: the master's receipt time, not 2001's commit time
    recent = 'now' if abs(when - time.time()) < 3600 else 'commit-time'
    print('|'.join([rev, br, who, repr(com), files, str(cat), recent]))
PY
}
last_id() { "$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select coalesce(max(changeid),0) from changes").fetchone()[0])' "$DB"; }
# True once the GitPoller's remembered tips equal the upstream's branches (it has polled).
gitpoller_caught_up() {
  "$PY" - "$DB" "$WORK/up.git" <<'PY'
import json, sqlite3, subprocess, sys
db = sqlite3.connect(sys.argv[1])
row = db.execute("select value_json from object_state where name = 'lastRev'").fetchone()
heads = subprocess.run(['git', 'ls-remote', '--heads', sys.argv[2]], capture_output=True,
                       text=True, check=True).stdout.split('\n')
want = {r.split('\t')[1]: r.split('\t')[0] for r in heads if r}
sys.exit(0 if row and json.loads(row[0]) == want else 1)
PY
}
wait_count() { # ID PROJECT N: wait (bounded) until N rows are there
  local i
  for i in $(seq 150); do
    (($(rows "$1" "$2" | wc -l) >= $3)) && return 0
    sleep 0.2
  done
  return 1
}

{
  printf '[DEFAULT]\nbasedir = %s\n\n' "$WORK/poll"
  demo_section
  cat <<EOF2
hook-timeout = 120
buildbot-category = ci
buildbot-max-changes = 3
EOF2
} >"$WORK/poll.conf"
poll() { timeout 170 "$INTEGRAL" poll "$WORK/poll.conf" --once --log "$WORK/poll.log"; }
poll && ok "first poll (baseline)" || bad "first poll"
for _ in $(seq 150); do gitpoller_caught_up && break; sleep 0.2; done

# step NAME EXPECTED-INTEGRAL-ROWS EXPECTED-GITPOLLER-REVISIONS (after a push): runs one poll,
# waits for both, compares. Integral rows: revision|branch|author|comments|files; GitPoller:
# revision branch, one a line.
step() {
  local name=$1 want=$2 want_gp=$3 got got_gp n
  if poll; then ok "$name: poll"; else bad "$name: poll failed"; fi
  n=$(grep -c . <<<"$want" || true)
  wait_count "$BASE" demo "$n" || true
  for _ in $(seq 300); do gitpoller_caught_up && break; sleep 0.2; done
  sleep 0.5 # a change beyond the expected ones would show up now
  got=$(rows "$BASE" demo | awk -F'|' -v OFS='|' '{
          if ($6 != "ci" || $7 != "now") $1 = $1 " (category " $6 ", time " $7 ")"
          print $1, $2, $3, $4, $5 }')
  if [[ $got == "$want" ]]; then ok "$name: the master holds exactly git_buildbot.py's changes"; else
    bad "$name: integral's changes differ (-got +want)"
    diff <(echo "$got") <(echo "$want") || true
  fi
  got_gp=$(rows "$BASE" gitpoller | awk -F'|' '{print $1, $2}')
  if [[ $got_gp == "$want_gp" ]]; then ok "$name: GitPoller recorded what was expected of it"; else
    bad "$name: GitPoller's changes differ (-got +want)"
    diff <(echo "$got_gp") <(echo "$want_gp") || true
  fi
  BASE=$(last_id)
}
BASE=$(last_id)

# 1. Fast-forward: one change per new commit c1..c3, oldest first; comments are the message
# lines each ending in a newline, files the commit's paths. GitPoller: the same commits.
printf 'two\n' >b.txt && git add b.txt && git commit -qm $'two: add b\n\nwhy b matters'
c2=$(git rev-parse HEAD)
mkdir -p dir && echo 3 >dir/c.txt && git add dir && git commit -qm three
c3=$(git rev-parse HEAD)
git push -q origin main
step "fast-forward" \
  "$c2|main|$A|'two: add b\\n\\nwhy b matters\\n'|b.txt
$c3|main|$A|'three\\n'|dir/c.txt" \
  "$c2 main
$c3 main"

# 2. New branch with a commit of its own: the commits no other branch reaches (f1).
git checkout -q -b feature
echo f >f.txt && git add f.txt && git commit -qm "feature work"
f1=$(git rev-parse HEAD)
git push -q origin feature
step "new branch with new commits" "$f1|feature|$A|'feature work\\n'|f.txt" "$f1 feature"

# 3. New branch at a commit inside main: main's tip reaches c2, so nothing. GitPoller: nothing
# (c2 is reachable from a tip it knew).
git push -q origin "$c2:refs/heads/old"
step "new branch at a known commit" "" ""

# 4. Forced push of main c3 -> c2-m1-m2: "Rewind branch" to the merge base c2 by "dummy" with
# the paths c3 changed, then m1, m2. GitPoller has no rewind changes (it only reports commits
# no previously seen tip reaches): m1, m2.
git checkout -q -b side "$c2"
echo m1 >m1.txt && git add m1.txt && git commit -qm "m one"
m1=$(git rev-parse HEAD)
echo m2 >m2.txt && git add m2.txt && git commit -qm "m two"
m2=$(git rev-parse HEAD)
git push -q -f origin side:main
step "forced push" \
  "$c2|main|dummy|'Rewind branch'|dir/c.txt
$m1|main|$A|'m one\\n'|m1.txt
$m2|main|$A|'m two\\n'|m2.txt" \
  "$m1 main
$m2 main"

# 5. New branch at main's tip m2: main is no exclusion (same id as the new tip), feature and
# old exclude c1, c2: m1 and m2 again, on release. GitPoller: nothing (it knows m2 already).
git push -q origin "$m2:refs/heads/release"
step "new branch at another branch's tip" \
  "$m1|release|$A|'m one\\n'|m1.txt
$m2|release|$A|'m two\\n'|m2.txt" ""

# 6. Pure rewind main m2 -> m1: the Rewind change alone (m2.txt differs). GitPoller: nothing.
git push -q -f origin "$m1:refs/heads/main"
step "pure rewind" "$m1|main|dummy|'Rewind branch'|m2.txt" ""

# 7. Tags created: one change each for the commit named, branch = tag. GitPoller (branches=True)
# follows refs/heads only: nothing.
git tag t1 "$c2"
git tag -a -m release v1 "$m1"
git push -q origin t1 v1
step "tags created" \
  "$c2|t1|$A|'two: add b\\n\\nwhy b matters\\n'|b.txt
$m1|v1|$A|'m one\\n'|m1.txt" ""

# 8. A tag moved, a tag and a branch deleted: nothing, from either.
git tag -f -a -m moved v1 "$m2" >/dev/null
git push -q -f origin v1 :refs/tags/t1 :refs/heads/old
step "tag moved, tag and branch deleted" "" ""

# 9. More commits on one ref than buildbot-max-changes (integral's option, 3 here so the test
# stays short; the unit test checks 205 commits with and without a cap): the tip alone.
# git_buildbot.py has no limit, nor has GitPoller: all 5.
git checkout -q -b big "$c1"
tree=$(git rev-parse "HEAD^{tree}")
prev=$c1
: >"$WORK/big.list"
for i in $(seq 5); do
  prev=$(git commit-tree "$tree" -p "$prev" -m "n$i")
  echo "$prev big" >>"$WORK/big.list"
done
git push -q origin "$prev:refs/heads/big"
step "5 commits, buildbot-max-changes = 3" "$prev|big|$A|'n5\\n'|" "$(cat "$WORK/big.list")"

# Stop the master and wait for it, so the scratch directory is not removed under it.
pid=$(cat "$WORK/master/twistd.pid")
kill "$pid" 2>/dev/null || true
for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
# A git the GitPoller started may outlive the master for a moment: wait for it to finish.
busy() {
  local c
  for c in /proc/[0-9]*/cwd; do
    [[ $(readlink "$c" 2>/dev/null) == "$WORK/master"* ]] && return 0
  done
  return 1
}
for _ in $(seq 100); do busy || break; sleep 0.1; done
finish
