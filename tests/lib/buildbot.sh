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
