# Shared by the buildbot tests: source after common.sh. A buildbot master runs under Debian's
# python3 (buildbot's modules live there); git commits in the tests are made by one author in a
# private HOME, on branch main.
if ! command -v buildbot >/dev/null; then
  skip_all "buildbot not installed (scripts/deps/poll.list)"
fi
PY=/usr/bin/python3
. "$(dirname "${BASH_SOURCE[0]}")/git_remote.sh"
git_home "Alice Dev" alice@example.org

# buildbot_upstream: a bare $WORK/up.git and a work repository $WORK/work (the current
# directory from here on) with it as origin.
buildbot_upstream() {
  git init -q --bare "$WORK/up.git"
  git init -q "$WORK/work"
  cd "$WORK/work"
  git remote add origin "$WORK/up.git"
}

# create_master TITLE [SOURCE...]: a master in $WORK/master, listening on 127.0.0.1:$PB (a
# random port) with a PBChangeSource for integral (pbchange/s3cret), each SOURCE (a Python
# expression) as a further change source, and one dummy builder scheduled on every branch.
create_master() {
  local title=$1 src
  shift
  PB=$((20000 + RANDOM % 20000))
  timeout 120 buildbot create-master -q -r "$WORK/master" >/dev/null
  {
    cat <<EOF2
from buildbot.plugins import changes, schedulers, util, worker, steps
c = BuildmasterConfig = {}
c['buildbotNetUsageData'] = None
PB = 'tcp:$PB:interface=127.0.0.1'
c['workers'] = [worker.Worker('dummy-worker', 'wpass')]
c['protocols'] = {'pb': {'port': PB}}
c['change_source'] = [changes.PBChangeSource(user='pbchange', passwd='s3cret', port=PB)]
c['schedulers'] = [schedulers.AnyBranchScheduler(name='all', treeStableTimer=None,
                                                 builderNames=['dummy'])]
c['builders'] = [util.BuilderConfig(name='dummy', workernames=['dummy-worker'],
                 factory=util.BuildFactory([steps.ShellCommand(command=['true'])]))]
c['title'] = '$title'
c['db'] = {'db_url': 'sqlite:///state.sqlite'}
EOF2
    for src in "$@"; do echo "c['change_source'].append($src)"; done
  } >"$WORK/master/master.cfg"
}

running_lines() { # how often the master has logged its successful start
  local n
  n=$(grep -c "BuildMaster is running" "$WORK/master/twistd.log" 2>/dev/null) || true
  echo "${n:-0}"
}
# start_master: starts the master (its PID goes to PIDS); on failure shows buildbot's output
# and returns 1.
start_master() {
  # `buildbot start` gives up confirming after 10 s; on a loaded machine the master may need
  # longer, so wait (bounded) for its own "BuildMaster is running" line instead.
  local before i
  before=$(running_lines)
  timeout 120 buildbot start "$WORK/master" >"$WORK/master-start.log" 2>&1 || true
  for i in $(seq 600); do
    if (($(running_lines) > before)); then
      PIDS+=("$(cat "$WORK/master/twistd.pid")")
      return 0
    fi
    sleep 0.2
  done
  [[ -s $WORK/master/twistd.pid ]] && PIDS+=("$(cat "$WORK/master/twistd.pid")")
  cat "$WORK/master-start.log"
  return 1
}

# demo_section: the [demo] repository of poll.conf, $WORK/up.git delivered to the master;
# each test adds its own hook-* and buildbot-* settings.
demo_section() {
  cat <<EOF2
[demo]
type = git
url = $WORK/up.git
gitdir = demo.git
hook-type = buildbot
hook-master = 127.0.0.1
hook-port = $PB
hook-user = pbchange
hook-passwd = s3cret
hook-projects = ['demo']
EOF2
}

# --- integral build on buildbot (contrib/buildbot/): tests/buildbot_*_test.sh

# create_integral_master INTEGRAL_CMD: a master in $WORK/master from contrib/buildbot/ on
# 127.0.0.1:$PB (a random port), workers w1/pass-one and w2/pass-two, building $WORK/up.git's
# main with INTEGRAL_CMD on the workers; with SIGN_KEY set, bundles are signed with it.
create_integral_master() {
  PB=$((20000 + RANDOM % 20000))
  timeout 120 buildbot create-master -q -r "$WORK/master" >/dev/null
  cp "$INTEGRAL_SOURCE_DIR/contrib/buildbot/master.cfg" \
    "$INTEGRAL_SOURCE_DIR/contrib/buildbot/integral_steps.py" "$WORK/master/"
  cat >"$WORK/master/integral.ini" <<EOF2
[master]
title = integral-build-test
pb_port = $PB
change_user = pbchange
change_passwd = s3cret
[workers]
w1 = pass-one
w2 = pass-two
[build]
repository = $WORK/up.git
description = build.toml
integral = $1
branches = main
${SIGN_KEY:+sign_key = $SIGN_KEY}
EOF2
}

# start_worker NAME PASSWORD: a buildbot worker in $WORK/NAME (its PID goes to PIDS)
start_worker() {
  command -v buildbot-worker >/dev/null || skip_all "buildbot-worker not installed (scripts/deps/poll.list)"
  timeout 120 buildbot-worker create-worker -q -r "$WORK/$1" "127.0.0.1:$PB" "$1" "$2" >/dev/null
  timeout 120 buildbot-worker start "$WORK/$1" >"$WORK/$1-start.log" 2>&1 || true
  [[ -s $WORK/$1/twistd.pid ]] && PIDS+=("$(cat "$WORK/$1/twistd.pid")")
}
connected_workers() { grep -l "Connected to" "$WORK"/w[0-9]/twistd.log 2>/dev/null | wc -l; }
wait_workers() { # N: waits (bounded) until N workers have connected
  local i
  for i in $(seq 300); do
    (($(connected_workers) >= $1)) && return 0
    sleep 0.2
  done
  return 1
}

# service_vm_repo SRC_DIR: $WORK/up.git holding examples/service-vms with its trees (and a
# stand-in UKI: these builds are never booted), pushed
# from $WORK/work (the current directory from here on); poll.conf delivering it to the master;
# `poll` polls once.
service_vm_repo() {
  . "$1/tests/lib/uefi.sh"
  standin_uki "$WORK/uki.efi"
  standin_disk "$WORK/disk.img"
  buildbot_upstream
  UKI=$WORK/uki.efi "$1/examples/service-vms/make-trees.sh" .
  git add -A && git commit -qm "service VMs" && git push -q origin main
  {
    printf '[DEFAULT]\nbasedir = %s/poll\npoll-interval = 1\n\n' "$WORK"
    demo_section
    printf 'hook-repository = %s/up.git\nhook-timeout = 60\n' "$WORK"
  } >"$WORK/poll.conf"
}
poll() { timeout 120 "$INTEGRAL" poll "$WORK/poll.conf" --once --log "$WORK/poll.log"; }

# builds_of REV [all]: "RESULT WORKER BUILDER" of each finished build of REV (with `all`,
# unfinished ones too, RESULT "-"), oldest first.
builds_of() {
  "$PY" - "$WORK/master/state.sqlite" "$1" "${2:-}" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
q = """select b.results, w.name, b.complete_at, bl.name from builds b join workers w on b.workerid = w.id
       join builders bl on b.builderid = bl.id
       join buildrequests r on b.buildrequestid = r.id
       join buildset_sourcestamps bs on r.buildsetid = bs.buildsetid
       join sourcestamps s on bs.sourcestampid = s.id
       where s.revision = ? order by b.id"""
for results, name, done, builder in db.execute(q, (sys.argv[2],)):
    if done is not None or sys.argv[3] == "all":
        print("-" if results is None else results, name, builder)
PY
}
# build_of REV: "RESULT WORKER" of the last finished integral-build (the gathering build) of REV
build_of() { builds_of "$1" | awk '$3 == "integral-build" { r = $1 " " $2 } END { print r }'; }
wait_build() { # REV [RESULT]: waits (bounded) for a finished integral-build of REV (with RESULT)
  local i
  for i in $(seq "${WAIT_BUILD_TRIES:-600}"); do
    builds_of "$1" | grep -q "^${2:-[0-9]} .* integral-build$" && return 0
    sleep 0.5
  done
  return 1
}
# build_logs REV: the logs of the builds of REV (step name, then the text), for a failure's
# diagnosis.
build_logs() {
  "$PY" - "$WORK/master/state.sqlite" "$1" <<'PY'
import sqlite3, sys, zlib
db = sqlite3.connect(sys.argv[1])
q = """select st.name, l.id from logs l join steps st on l.stepid = st.id join builds b on st.buildid = b.id
       join buildrequests r on b.buildrequestid = r.id
       join buildset_sourcestamps bs on r.buildsetid = bs.buildsetid
       join sourcestamps s on bs.sourcestampid = s.id where s.revision = ? order by l.id"""
for step, logid in db.execute(q, (sys.argv[2],)).fetchall():
    print("---- step", step)
    for content, compressed in db.execute("select content, compressed from logchunks where logid = ? order by first_line", (logid,)):
        text = zlib.decompress(content, 47) if compressed == 1 else content
        print((text.decode("utf-8", "replace") if isinstance(text, bytes) else text)[-3000:])
PY
}

# integral_buildbot INTEGRAL_CMD: the master (checked by buildbot checkconfig) running
# INTEGRAL_CMD on two workers, and the service-VM repository with the poller's baseline (the
# current directory from here on); each step reported.
integral_buildbot() {
  create_integral_master "$1"
  timeout 120 buildbot checkconfig "$WORK/master" >"$WORK/checkconfig.log" 2>&1 &&
    ok "buildbot checkconfig accepts contrib/buildbot/master.cfg" || { bad "checkconfig"; cat "$WORK/checkconfig.log"; }
  start_master && ok "master started" || { bad "master did not start"; finish; }
  start_worker w1 pass-one
  start_worker w2 pass-two
  wait_workers 2 && ok "both workers connected" || bad "workers connected: $(connected_workers)"
  service_vm_repo "$INTEGRAL_SOURCE_DIR"
  poll && ok "first poll (baseline)" || bad "first poll"
}
