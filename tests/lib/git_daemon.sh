# A `git daemon` on 127.0.0.1 for the poll tests (source after common.sh).
# start_git_daemon BASE PROBE: serves every repository under BASE on a random free port; waits
# until git can list PROBE (a repository path under BASE) through it. Sets PORT and DAEMON,
# adds DAEMON to PIDS (common.sh stops them). Exits 1 when no port works after five tries.
start_git_daemon() {
  local base=$1 probe=$2 tries
  for tries in 1 2 3 4 5; do
    PORT=$((20000 + RANDOM % 20000))
    git daemon --listen=127.0.0.1 --port=$PORT --base-path="$base" --export-all \
      --reuseaddr "$base" >"$WORK/daemon.log" 2>&1 &
    DAEMON=$!
    PIDS+=("$DAEMON")
    for _ in $(seq 50); do
      if timeout 5 git ls-remote "git://127.0.0.1:$PORT/$probe" >/dev/null 2>&1; then return 0; fi
      kill -0 "$DAEMON" 2>/dev/null || break
      sleep 0.1
    done
    kill "$DAEMON" 2>/dev/null || true
    wait "$DAEMON" 2>/dev/null || true
  done
  echo "cannot start git daemon" >&2
  exit 1
}

stop_git_daemon() {
  kill "$DAEMON" 2>/dev/null || true
  wait "$DAEMON" 2>/dev/null || true
}
