#!/usr/bin/env bash
# integral poll's built-in buildbot adapter against a real buildbot 3.7 master (Debian's
# package) on 127.0.0.1 with a PBChangeSource: every change reaches the master's database,
# and changes made while the master is down are delivered after it comes back.
. "$(dirname "$0")/lib/common.sh"

. "$(dirname "$0")/lib/buildbot.sh"

# --- master
create_master integral-poll-test
stop_master() {
  local pid
  pid=$(cat "$WORK/master/twistd.pid")
  kill "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}
db_changes() { # revision branch project author, sorted
  "$PY" - "$WORK/master/state.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for r in sorted(db.execute('select revision, branch, project, author, repository from changes')):
    print(' '.join(str(x) for x in r))
PY
}
# The master acknowledges a change before its database holds it: wait (bounded) for a row.
db_wait() { # PATTERN: true once some row matches
  local i
  for i in $(seq 50); do
    db_changes | grep -q "$1" && return 0
    sleep 0.2
  done
  return 1
}
start_master
ok "buildbot master started"

# --- upstream and poller
buildbot_upstream
echo 1 >a && git add a && git commit -qm first
git push -q origin main
{
  cat <<EOF2
[DEFAULT]
basedir = $WORK/poll
poll-interval = 1
status-file = $WORK/status.json

EOF2
  demo_section
  cat <<EOF2
hook-repository = file://$WORK/up.git
hook-timeout = 60
EOF2
} >"$WORK/poll.conf"
poll() { timeout 120 "$INTEGRAL" poll "$WORK/poll.conf" --once --log "$WORK/poll.log"; }
poll && ok "first poll (baseline)" || bad "first poll"

# --- two commits, a new branch with one commit of its own, an annotated tag
c_old=$(git rev-parse HEAD)
echo 2 >b && git add b && git commit -qm "second: add b"
echo 3 >>a && git commit -qam "third: touch a"
git tag -a -m rel v1.0
git checkout -q -b feature
echo f >f && git add f && git commit -qm "feature work"
git checkout -q main
git push -q origin main feature v1.0
if poll; then ok "poll delivered to the master"; else bad "poll failed"; fi
# independent expectation from git: main's new commits, feature's own commit, the tag's commit
expect() {
  for c in $(git rev-list --reverse "$c_old..main"); do echo "$c main demo"; done
  echo "$(git rev-parse feature) feature demo"
  echo "$(git rev-parse 'v1.0^{commit}') v1.0 demo"
}
db_wait "^$(git rev-parse 'v1.0^{commit}') v1.0 " || true
db_wait "^$(git rev-parse feature) feature " || true
db_wait "^$(git rev-parse main) main " || true
got=$(db_changes | awk '{print $1, $2, $3}' | sort)
if [[ "$got" == "$(expect | sort)" ]]; then ok "the master's database holds exactly the expected changes"; else
  bad "changes differ"; diff <(echo "$got") <(expect | sort) || true
fi
if db_wait "Alice Dev <alice@example.org> file://$WORK/up.git"; then ok "author and repository recorded"; else
  bad "author/repository"; db_changes
fi

# --- master down: the change stays pending, and is delivered when it returns
stop_master
echo 4 >>b && git commit -qam "fourth, while the master is down"
git push -q origin main
if poll; then bad "poll claimed success with the master down"; else ok "master down: poll reports failure"; fi
pend=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["repositories"][0]["pending"])' "$WORK/status.json")
[[ $pend == 1 ]] && ok "one update pending" || bad "pending=$pend"
start_master
if poll; then ok "poll after the master came back"; else bad "poll after restart failed"; fi
c4=$(git rev-parse main)
if db_wait "^$c4 main demo"; then ok "change made while the master was down was delivered"; else bad "lost change"; fi
n=$(db_changes | grep -c "^$c4 ")
[[ $n == 1 ]] && ok "delivered once" || bad "delivered $n times"
poll && ok "a further poll has nothing to send" || bad "idle poll failed"
stop_master
finish
