# Shared by the peer scripts: where peers are cached, and which Debian archive to fetch from.
# Source it. Peers are fetched once into PEER_CACHE and reused; nothing is installed on the host.
PEER_CACHE=${INTEGRAL_PEER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/integral/peers}

# debian_mirror: the archive URI the host's apt uses for its own release (deb822 .sources or
# one-line sources.list), so a peer comes from the same archive as the host's packages.
# INTEGRAL_DEBIAN_MIRROR overrides it.
debian_mirror() {
  if [[ -n ${INTEGRAL_DEBIAN_MIRROR:-} ]]; then
    echo "$INTEGRAL_DEBIAN_MIRROR"
    return
  fi
  local codename f uri
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r $f ]] || continue
    # stanzas are separated by blank lines; pick one whose Suites has the bare codename
    uri=$(awk -v c="$codename" 'BEGIN { RS = ""; FS = "\n" }
      { u = ""; s = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); u = a[2] }
          if ($i ~ /^Suites:/) { n = split($i, b, /[ \t]+/); for (j = 2; j <= n; j++) if (b[j] == c) s = 1 }
        }
        if (s && u != "") { print u; exit } }' "$f")
    [[ -n $uri ]] && { echo "${uri%/}"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $f ]] || continue
    uri=$(awk -v c="$codename" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
      if ($(i + 1) == c) { print $i; exit } }' "$f")
    [[ -n $uri ]] && { echo "${uri%/}"; return; }
  done
  return 1
}

peer_fail() { # message -> stderr, exit 4 (the tests turn that into a skip naming the reason)
  echo "${0##*/}: $*" >&2
  exit 4
}

# peer_begin NAME [READY]: takes the peer's lock (one maker at a time; a second caller waits,
# then finds it ready) and sets dir=$PEER_CACHE/NAME and ready=$dir/READY (default .ready; a
# peer whose recipe changed names a new marker, so an older cached copy is made again); when the
# peer is ready already, prints it and exits.
peer_begin() {
  dir=$PEER_CACHE/$1
  ready=$dir/${2:-.ready}
  mkdir -p "$PEER_CACHE"
  exec 9>"$dir.lock"
  flock 9
  if [[ -f $ready ]]; then
    echo "$dir"
    exit 0
  fi
}
