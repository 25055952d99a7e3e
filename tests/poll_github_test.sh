#!/usr/bin/env bash
# integral poll's organization mode against a small GitHub-API stand-in on 127.0.0.1:
# /orgs/{org}/repos with per_page=100, Link rel="next" pagination (absent on the last page),
# User-Agent and Bearer token required, ETag answered with 304; archived and disabled
# repositories skipped; enumerated repositories mirrored and their pushes delivered like
# git's own post-receive; the token never written to logs or status. The stand-in also serves
# one repository over git's smart HTTP (git http-backend), demanding the token as a Basic
# credential: the token reaches git only through its environment (http.extraHeader from
# GIT_CONFIG_*), never argv, and no hook's environment (sampled from /proc during a poll).
# Rate limits (403 + X-RateLimit-Remaining: 0, 429 + Retry-After) are waited out when short,
# skipped (known repositories still polled) when long; repositories that leave the listing
# stop being polled, mirror kept by default, removed with prune-mirrors.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/git_remote.sh"

git_home "Org Tester" org@example.org
make_upstreams r1 r2 r3 r4 r5
git init -q "$WORK/work"
cd "$WORK/work"
echo 1 >a && git add a && git commit -qm one
for r in r1 r2 r3 r4 r5; do git push -q "$WORK/srv/$r.git" main; done

# the listing the stand-in serves, edited by the test as the organization changes
listing() { # r1 r2 ... : names, each optionally name:archived or name:disabled
  python3 - "$WORK" "$@" <<'PY'
import json, sys
work, names = sys.argv[1], sys.argv[2:]
repos = []
for n in names:
    name, _, flag = n.partition(":")
    url = f"{work}/srv/{name}.git" if name != "r5" else "HTTPGIT/r5.git"
    repos.append({"name": name, "clone_url": url, "ssh_url": "git@example:x",
                  "archived": flag == "archived", "disabled": flag == "disabled", "fork": False})
pages = {"1": repos[:2], "2": repos[2:]}
json.dump(pages, open(f"{work}/listing.json.tmp", "w"))
PY
  mv "$WORK/listing.json.tmp" "$WORK/listing.json"
}
listing r1 r2:archived r3 r4:disabled r5
echo '{"count": 0}' >"$WORK/ratelimit.json"

cat >"$WORK/api.py" <<'PY'
import base64, hashlib, http.server, json, os, subprocess, sys, time
work = sys.argv[1]
token = os.environ.pop("TOKEN")
def log(entry):
    with open(f"{work}/requests.log", "a") as f:
        f.write(entry + "\n")
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def git(self):
        # git's smart HTTP through git http-backend (CGI), for clients with the token only
        want = "Basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode()
        if self.headers.get("Authorization") != want:
            log("git-401")
            self.send_response(401); self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.end_headers(); return
        log("git-ok")
        time.sleep(0.3)  # long enough for the test's sampler to see the git processes
        path, _, query = self.path[len("/git"):].partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        env = {"GIT_PROJECT_ROOT": f"{work}/srv", "GIT_HTTP_EXPORT_ALL": "1",
               "PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": self.command,
               "CONTENT_TYPE": self.headers.get("Content-Type", ""),
               "CONTENT_LENGTH": str(len(body)), "PATH": os.environ["PATH"],
               "HOME": os.environ["HOME"], "GIT_CONFIG_NOSYSTEM": "1"}
        for h, e in (("Content-Encoding", "HTTP_CONTENT_ENCODING"), ("Git-Protocol", "GIT_PROTOCOL")):
            if self.headers.get(h): env[e] = self.headers[h]
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status = 200
        hdrs = []
        for line in head.decode().split("\r\n"):
            k, _, v = line.partition(":")
            if k.lower() == "status": status = int(v.split()[0])
            elif k: hdrs.append((k, v.strip()))
        self.send_response(status)
        for k, v in hdrs: self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)
    def do_POST(self):
        if self.path.startswith("/git/"): return self.git()
        self.send_response(404); self.end_headers()
    def do_GET(self):
        if self.path.startswith("/git/"): return self.git()
        path, _, query = self.path.partition("?")
        q = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        log(json.dumps({"path": self.path, "ua": self.headers.get("User-Agent"),
                        "auth": self.headers.get("Authorization"),
                        "inm": self.headers.get("If-None-Match"),
                        "ver": self.headers.get("X-GitHub-Api-Version")}))
        if not self.headers.get("User-Agent"):
            self.send_response(403); self.end_headers(); return
        if self.headers.get("Authorization") != "Bearer " + token:
            self.send_response(401); self.end_headers(); return
        if path != "/api/v3/orgs/acme/repos" or q.get("per_page") != "100":
            self.send_response(404); self.end_headers(); return
        rl = json.load(open(f"{work}/ratelimit.json"))
        if rl["count"] > 0:
            rl["count"] -= 1
            json.dump(rl, open(f"{work}/ratelimit.json", "w"))
            log(f"limited-{rl['status']}")
            self.send_response(rl["status"])
            for k, v in rl["headers"].items():
                self.send_header(k, str(int(time.time()) + v) if k == "X-RateLimit-Reset" else str(v))
            self.end_headers(); return
        page = q.get("page", "1")
        base = f"http://127.0.0.1:{self.server.server_port}"
        repos = json.load(open(f"{work}/listing.json"))[page]
        for r in repos:
            r["clone_url"] = r["clone_url"].replace("HTTPGIT", base + "/git")
        body = json.dumps(repos).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304); self.send_header("ETag", etag); self.end_headers()
            log("304")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("ETag", etag)
        if page == "1":
            first = f"{base}/api/v3/orgs/acme/repos?per_page=100&sort=full_name"
            self.send_header("Link", f'<{first}&page=2>; rel="next", <{first}&page=2>; rel="last"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(f"{work}/port", "w").write(str(s.server_port))
s.serve_forever()
PY
export TOKEN=ghp_integralTestToken123
TOKEN=$TOKEN timeout 300 python3 "$WORK/api.py" "$WORK" &
PIDS+=("$!")
for _ in $(seq 100); do [[ -s $WORK/port ]] && break; sleep 0.1; done
PORT=$(cat "$WORK/port")

write_hook <<'HOOK'
#!/bin/sh
cat > "$(dirname "$0")/we-saw.$(basename "$GIT_DIR" .git)"
sleep 0.3 # long enough for the sampler to read this process's environment
HOOK
cat >"$WORK/poll.conf" <<EOF2
[DEFAULT]
status-file = $WORK/status.json
[acme]
type = org
name = acme
api-url = http://127.0.0.1:$PORT/api/v3
token-env = TOKEN
basedir = $WORK/mirrors
hook-script = $WORK/hook.sh
rate-limit-wait = 5
EOF2
poll() { timeout 120 "$INTEGRAL" poll "$WORK/poll.conf" --once --log "$WORK/poll.log"; }
B64=$(printf 'x-access-token:%s' "$TOKEN" | base64 -w0)

# every child of the poller (its own session), sampled from /proc while it runs
cat >"$WORK/sample.py" <<'PY'
import json, os, sys
sid, out, token, b64 = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode(), sys.argv[4].encode()
seen = {}
while os.path.exists(f"/proc/{sid}"):
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == sid:
            continue
        try:
            stat = open(f"/proc/{d}/stat", "rb").read()
            fields = stat[stat.rindex(b")") + 2:].split()
            # the poller itself (timeout's child) started with the token: its children not
            if int(fields[3]) != sid or int(fields[1]) == sid:
                continue
            cmd = open(f"/proc/{d}/cmdline", "rb").read()
            env = open(f"/proc/{d}/environ", "rb").read()
        except (OSError, ValueError, IndexError):
            continue
        if not cmd:
            continue
        key = (d, cmd)
        if key in seen:
            continue
        seen[key] = {"argv": cmd.decode(errors="replace").split("\0")[:6],
                     "argv_token": token in cmd or b64 in cmd,
                     "env_token": token in env, "env_header": b64 in env}
json.dump(list(seen.values()), open(out, "w"), indent=1)
PY
sampled_poll() {
  setsid timeout 120 "$INTEGRAL" poll "$WORK/poll.conf" --once --log "$WORK/poll.log" &
  local pp=$!
  python3 "$WORK/sample.py" "$pp" "$WORK/sampled.$1.json" "$TOKEN" "$B64"
  wait "$pp"
}

sampled_poll 1 && ok "first org poll" || bad "first org poll failed"
if [[ -d $WORK/mirrors/r1.git && -d $WORK/mirrors/r3.git ]]; then ok "repositories from both pages mirrored"; else bad "missing mirrors"; fi
if [[ ! -e $WORK/mirrors/r2.git && ! -e $WORK/mirrors/r4.git ]]; then ok "archived and disabled skipped"; else bad "archived/disabled mirrored"; fi
python3 - "$WORK/requests.log" "$TOKEN" <<'PY' && ok "requests: per_page=100, User-Agent, Bearer token, API version, Link followed" || bad "request headers"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
assert len(reqs) == 2, reqs
assert "per_page=100" in reqs[0]["path"] and reqs[1]["path"].endswith("page=2")
assert all(r["ua"] and r["auth"] == "Bearer " + sys.argv[2] and r["ver"] == "2022-11-28" for r in reqs)
PY
if [[ -d $WORK/mirrors/r5.git ]] && grep -q '^git-ok$' "$WORK/requests.log" && ! grep -q '^git-401$' "$WORK/requests.log"; then
  ok "the repository served over smart HTTP was cloned with the token as a Basic credential"
else
  bad "smart HTTP clone with the token"
fi
poll && ok "second org poll" || bad "second org poll failed"
n304=$(grep -c '^304$' "$WORK/requests.log" || true)
[[ $n304 == 2 ]] && ok "unchanged pages revalidated with ETag: 2 answers 304" || bad "304 count $n304"

echo 2 >>a && git commit -qam two && git branch topic && git tag v1
git push -q "$WORK/srv/r3.git" main topic v1
git push -q "$WORK/srv/r5.git" main topic v1
sampled_poll 2 || true
for r in r3 r5; do
  if [[ "$(sort "$WORK/we-saw.$r")" == "$(sort "$WORK/srv/$r.git/git-saw.batch")" ]]; then ok "org repository $r: push delivered like git's post-receive"; else bad "org delivery $r"; fi
done
if python3 - "$WORK"/sampled.*.json <<'PY'; then ok "token in no child's argv; in no hook's environment; only in git's, as the extraHeader"; else bad "token exposed to a child"; fi
import json, sys
procs = [p for f in sys.argv[1:] for p in json.load(open(f))]
hooks = [p for p in procs if any("hook.sh" in a for a in p["argv"])]
gits = [p for p in procs if "git" in p["argv"][0].rsplit("/", 1)[-1]]
assert hooks and gits, ("sampler saw too little", len(hooks), len(gits))
assert not any(p["argv_token"] for p in procs), [p for p in procs if p["argv_token"]]
assert not any(p["env_token"] for p in procs), [p for p in procs if p["env_token"]]
assert not any(p["env_header"] for p in hooks), hooks
assert any(p["env_header"] for p in gits), "no git child carried the header"
# the header only for the repository on the API's site, not for the others (file paths)
assert not any(p["env_header"] for p in gits if any("/srv/r" in a for a in p["argv"])), gits
print(f"sampled {len(procs)} children: {len(gits)} git, {len(hooks)} hook")
PY

# rate limited briefly (403, X-RateLimit-Remaining: 0, reset in 2 s): waited out, then listed
echo '{"count": 1, "status": 403, "headers": {"X-RateLimit-Remaining": 0, "X-RateLimit-Reset": 2}}' >"$WORK/ratelimit.json"
t0=$(date +%s%3N)
poll && ok "a short rate limit is waited out" || bad "poll under a short rate limit failed"
t1=$(date +%s%3N)
if grep -q '^limited-403$' "$WORK/requests.log" && ((t1 - t0 >= 900)); then ok "waited $((t1 - t0)) ms for the reset, then listed"; else bad "rate limit wait ($((t1 - t0)) ms)"; fi
# rate limited for an hour (429 Retry-After: 3600): listing skipped, known repositories polled
echo '{"count": 100, "status": 429, "headers": {"Retry-After": 3600}}' >"$WORK/ratelimit.json"
echo 3 >>a && git commit -qam three
git push -q "$WORK/srv/r3.git" main
poll && ok "a long rate limit is not a failure" || bad "poll under a long rate limit failed"
if grep -q 'listing skipped' "$WORK/poll.log" && [[ $(grep -c '^limited-429$' "$WORK/requests.log") == 1 ]]; then ok "listing skipped after one request"; else bad "listing under 429"; fi
if [[ "$(sort "$WORK/we-saw.r3")" == "$(sort "$WORK/srv/r3.git/git-saw.batch")" ]]; then ok "known repositories still polled while rate limited"; else bad "r3 not delivered while rate limited"; fi
echo '{"count": 0}' >"$WORK/ratelimit.json"

# r1 archived, r3 transferred away: no longer polled, mirrors kept (the default)
listing r1:archived r2:archived r4:disabled r5
echo 4 >>a && git commit -qam four
git push -q "$WORK/srv/r3.git" main
cp "$WORK/we-saw.r3" "$WORK/r3.before"
poll || bad "poll after repositories left failed"
if grep -q 'acme/r1.*no longer listed' "$WORK/poll.log" && grep -q 'acme/r3.*no longer listed' "$WORK/poll.log"; then ok "archived and transferred repositories reported as gone"; else bad "departures not logged"; fi
if [[ -d $WORK/mirrors/r1.git && -d $WORK/mirrors/r3.git ]] && cmp -s "$WORK/we-saw.r3" "$WORK/r3.before"; then ok "their mirrors kept, not polled"; else bad "departed repositories"; fi
if ! grep -q '"acme/r3"' "$WORK/status.json"; then ok "status lists only polled repositories"; else bad "status still lists r3"; fi
# r3 comes back: polling resumes from its delivered state (the push made meanwhile arrives)
listing r1:archived r2:archived r3 r4:disabled r5
poll || bad "poll after r3 returned failed"
if [[ "$(sort "$WORK/we-saw.r3")" == "$(sort "$WORK/srv/r3.git/git-saw.batch")" ]]; then ok "a returning repository delivers what moved while it was away"; else bad "r3 return"; fi
# with prune-mirrors, a departing repository's mirror and state are removed
echo "prune-mirrors = yes" >>"$WORK/poll.conf"
listing r1:archived r2:archived r4:disabled r5
poll || bad "poll with prune-mirrors failed"
if [[ ! -e $WORK/mirrors/r3.git && ! -e $WORK/mirrors/r3.git.delivered && -d $WORK/mirrors/r5.git ]]; then ok "prune-mirrors removes a departed mirror and its state only"; else bad "prune-mirrors"; fi

if ! grep -rqF -e "$TOKEN" -e "$B64" "$WORK/poll.log" "$WORK/status.json" "$WORK/mirrors"; then ok "token in no log, status or mirror"; else bad "token leaked"; fi
finish
