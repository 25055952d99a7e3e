# Upstream git repositories for the poll tests (source after common.sh).

# git_home NAME EMAIL: git runs with a private HOME (no system or user config of this machine)
# and commits as NAME <EMAIL> on branch main.
git_home() {
  export GIT_CONFIG_NOSYSTEM=1 HOME=$WORK/home
  mkdir -p "$HOME"
  git config --global user.name "$1"
  git config --global user.email "$2"
  git config --global init.defaultBranch main
}

# make_upstreams NAME...: bare repositories $WORK/srv/NAME.git whose own post-receive hook
# (git's) keeps the lines of the last push it received in git-saw.batch: the reference our
# hook's lines are compared with.
make_upstreams() {
  local r
  mkdir -p "$WORK/srv"
  for r in "$@"; do
    git init -q --bare "$WORK/srv/$r.git"
    printf '#!/bin/sh\ncat > "$GIT_DIR/git-saw.batch"\n' >"$WORK/srv/$r.git/hooks/post-receive"
    chmod +x "$WORK/srv/$r.git/hooks/post-receive"
  done
}

# git_batch NAME: the last batch git's post-receive in $WORK/srv/NAME.git saw, as sorted lines
git_batch() { sort "$WORK/srv/$1.git/git-saw.batch"; }

# write_hook: our hook, $WORK/hook.sh, is the script on stdin
write_hook() {
  cat >"$WORK/hook.sh"
  chmod +x "$WORK/hook.sh"
}

# poll_conf_head [LINE...]: the [DEFAULT] lines the poll tests share (mirrors under $WORK/poll,
# the hook $WORK/hook.sh, the status file in $WORK/poll, two workers, a poll a second), then
# each LINE (the test's own timeouts); the repositories' sections follow.
poll_conf_head() {
  cat <<EOF2
[DEFAULT]
basedir = $WORK/poll
poll-interval = 1
type = git
hook-script = $WORK/hook.sh
status-file = $WORK/poll/status.json
concurrency = 2
EOF2
  if (($#)); then printf '%s\n' "$@"; fi
}

# poll_conf_daemon_repos NAME...: a section per repository NAME.git that start_git_daemon
# serves (on $PORT), mirrored as NAME.git.
poll_conf_daemon_repos() {
  local r
  for r in "$@"; do
    printf '\n[%s]\nurl = git://127.0.0.1:%s/%s.git\ngitdir = %s.git\n' "$r" "$PORT" "$r" "$r"
  done
}
