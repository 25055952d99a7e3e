# Shared by the buildbot tests: source after common.sh. A buildbot master runs under Debian's
# python3 (buildbot's modules live there); git commits in the tests are made by one author in a
# private HOME, on branch main.
if ! command -v buildbot >/dev/null; then
  skip_all "buildbot not installed (scripts/deps/poll.list)"
fi
PY=/usr/bin/python3
export GIT_CONFIG_NOSYSTEM=1 HOME=$WORK/home
mkdir -p "$HOME"
git config --global user.name "Alice Dev"
git config --global user.email alice@example.org
git config --global init.defaultBranch main
