#!/usr/bin/env bash
# integral poll's organization mode against a small GitHub-API stand-in on 127.0.0.1:
# /orgs/{org}/repos with per_page=100, Link rel="next" pagination (absent on the last page),
# User-Agent and Bearer token required, ETag answered with 304; archived and disabled
# repositories skipped; enumerated repositories mirrored and their pushes delivered like
# git's own post-receive; the token never written to logs or status.
. "$(dirname "$0")/lib/common.sh"

export GIT_CONFIG_NOSYSTEM=1 HOME=$WORK/home
mkdir -p "$HOME"
git config --global user.name "Org Tester"
git config --global user.email org@example.org
git config --global init.defaultBranch main

for r in r1 r2 r3 r4; do
  git init -q --bare "$WORK/srv/$r.git"
  printf '#!/bin/sh\ncat > "$GIT_DIR/git-saw.batch"\n' >"$WORK/srv/$r.git/hooks/post-receive"
  chmod +x "$WORK/srv/$r.git/hooks/post-receive"
done
git init -q "$WORK/work"
cd "$WORK/work"
echo 1 >a && git add a && git commit -qm one
for r in r1 r2 r3 r4; do git push -q "$WORK/srv/$r.git" main; done

cat >"$WORK/api.py" <<'PY'
import http.server, json, sys, os
work = sys.argv[1]
def repo(name, **kw):
    d = {"name": name, "clone_url": f"{work}/srv/{name}.git", "ssh_url": "git@example:x",
         "archived": False, "disabled": False, "fork": False}
    d.update(kw)
    return d
PAGES = {"1": [repo("r1"), repo("r2", archived=True)], "2": [repo("r3"), repo("r4", disabled=True)]}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        path, _, query = self.path.partition("?")
        q = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        with open(f"{work}/requests.log", "a") as f:
            f.write(json.dumps({"path": self.path, "ua": self.headers.get("User-Agent"),
                                "auth": self.headers.get("Authorization"),
                                "inm": self.headers.get("If-None-Match"),
                                "ver": self.headers.get("X-GitHub-Api-Version")}) + "\n")
        if not self.headers.get("User-Agent"):
            self.send_response(403); self.end_headers(); return
        if self.headers.get("Authorization") != "Bearer " + os.environ["TOKEN"]:
            self.send_response(401); self.end_headers(); return
        if path != "/api/v3/orgs/acme/repos" or q.get("per_page") != "100":
            self.send_response(404); self.end_headers(); return
        page = q.get("page", "1")
        etag = f'"page{page}-v1"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304); self.send_header("ETag", etag); self.end_headers()
            with open(f"{work}/requests.log", "a") as f: f.write("304\n")
            return
        body = json.dumps(PAGES[page]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("ETag", etag)
        if page == "1":
            base = f"http://127.0.0.1:{self.server.server_port}/api/v3/orgs/acme/repos?per_page=100&sort=full_name"
            self.send_header("Link", f'<{base}&page=2>; rel="next", <{base}&page=2>; rel="last"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(f"{work}/port", "w").write(str(s.server_port))
s.serve_forever()
PY
export TOKEN=ghp_integralTestToken123
TOKEN=$TOKEN timeout 300 python3 "$WORK/api.py" "$WORK" &
PIDS+=("$!")
for _ in $(seq 100); do [[ -s $WORK/port ]] && break; sleep 0.1; done
PORT=$(cat "$WORK/port")

cat >"$WORK/hook.sh" <<'HOOK'
#!/bin/sh
cat > "$(dirname "$0")/we-saw.$(basename "$GIT_DIR" .git)"
HOOK
chmod +x "$WORK/hook.sh"
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
EOF2
poll() { timeout 120 "$INTEGRAL" poll "$WORK/poll.conf" --once --log "$WORK/poll.log"; }

poll && ok "first org poll" || bad "first org poll failed"
if [[ -d $WORK/mirrors/r1.git && -d $WORK/mirrors/r3.git ]]; then ok "repositories from both pages mirrored"; else bad "missing mirrors"; fi
if [[ ! -e $WORK/mirrors/r2.git && ! -e $WORK/mirrors/r4.git ]]; then ok "archived and disabled skipped"; else bad "archived/disabled mirrored"; fi
python3 - "$WORK/requests.log" "$TOKEN" <<'PY' && ok "requests: per_page=100, User-Agent, Bearer token, API version, Link followed" || bad "request headers"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
assert len(reqs) == 2, reqs
assert "per_page=100" in reqs[0]["path"] and reqs[1]["path"].endswith("page=2")
assert all(r["ua"] and r["auth"] == "Bearer " + sys.argv[2] and r["ver"] == "2022-11-28" for r in reqs)
PY
poll && ok "second org poll" || bad "second org poll failed"
n304=$(grep -c '^304$' "$WORK/requests.log" || true)
[[ $n304 == 2 ]] && ok "unchanged pages revalidated with ETag: 2 answers 304" || bad "304 count $n304"

echo 2 >>a && git commit -qam two && git branch topic && git tag v1
git push -q "$WORK/srv/r3.git" main topic v1
poll || true
if [[ "$(sort "$WORK/we-saw.r3")" == "$(sort "$WORK/srv/r3.git/git-saw.batch")" ]]; then ok "org repository's push delivered like git's post-receive"; else bad "org delivery"; fi
if ! grep -rqF "$TOKEN" "$WORK/poll.log" "$WORK/status.json" "$WORK/mirrors"; then ok "token in no log, status or mirror"; else bad "token leaked"; fi
finish
