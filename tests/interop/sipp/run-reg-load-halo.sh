#!/usr/bin/env bash
# REGISTER load test against halo-server (the run-reg-load.sh of the Kamailio rig, pointed at
# halo-server). Starts its own halo-server on loopback, seeds load0000..load0199 / load-secret
# through the admin API, runs the same sipp scenario, stops the server by its PID.
#
#   HALO_SERVER=target/release/halo-server sipp/run-reg-load-halo.sh
#   DURATION=10 LIMIT=100 sipp/run-reg-load-halo.sh
# Exit 0 only if no registration failed.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# Read before common.sh, which sets RUN_DIR to the Kamailio rig's folder.
RUN="${RUN_DIR:-/tmp/halo-reg-load}"
source "$HERE/../lib/common.sh"
HALO_SERVER="${HALO_SERVER:-${CARGO_TARGET_DIR:-$HERE/../../../target}/release/halo-server}"
DURATION="${DURATION:-10}"
RATE="${RATE:-20000}"
LIMIT="${LIMIT:-100}"
SIP_PORT="${SIP_PORT:-5270}"
HTTP_PORT="${HTTP_PORT:-18270}"
LOCAL_PORT="${LOCAL_PORT:-5290}"
rm -rf "$RUN" && mkdir -p "$RUN/data"
cat > "$RUN/halo.toml" <<TOML
[argon2]
memory_kib = 64
iterations = 1
TOML
setsid "$HALO_SERVER" --config "$RUN/halo.toml" --data "$RUN/data" --domain example.test \
    serve --http "127.0.0.1:$HTTP_PORT" --sip "127.0.0.1:$SIP_PORT" --demo >"$RUN/server.log" 2>&1 &
pid=$!
trap 'kill -TERM -- -$pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "SIP on" "$RUN/server.log" && break; sleep 0.2; done
python3 - "$HTTP_PORT" <<'PY'
import json, sys, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
def call(path, body, token=None):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    if token: req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r: return json.load(r)
token = call("/auth/login", {"username": "admin", "password": "admin-secret"})["access_token"]
for i in range(200):
    try: call("/users", {"username": f"load{i:04d}", "password": "load-secret"}, token)
    except urllib.error.HTTPError as e:
        if e.code != 409: raise
PY
cd "$RUN"
ticks_before=$(cpu_ticks "$pid")
set +e
timeout $((DURATION + 20)) sipp "127.0.0.1:$SIP_PORT" -sf "$HERE/reg_load.xml" -inf "$HERE/users.csv" \
    -i 127.0.0.1 -p "$LOCAL_PORT" -t u1 -r "$RATE" -l "$LIMIT" -timeout "$DURATION" -nostdin \
    -trace_screen -screen_file "$RUN/screen.log" -trace_err >/dev/null 2>&1
set -e
ticks=$(( $(cpu_ticks "$pid") - ticks_before ))
ok=$(grep 'Successful call' "$RUN/screen.log" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
failed=$(grep 'Failed call' "$RUN/screen.log" | tail -1 | awk -F'|' '{gsub(/ /,"",$3); print $3}')
elapsed=$(python3 - "$RUN/screen.log" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
st = re.findall(r"Start Time\s+\|\s+\S+\s+\S+\s+([0-9.]+)", t)
ct = re.findall(r"Current Time\s+\|\s+\S+\s+\S+\s+([0-9.]+)", t)
print("%.3f" % (float(ct[-1]) - float(st[0])) if st and ct else "0")
PY
)
python3 - "$ok" "$failed" "$elapsed" "$ticks" "$(getconf CLK_TCK)" <<PY | tee "$RUN/summary.txt"
import sys
ok, f, el = int(sys.argv[1] or 0), int(sys.argv[2] or 0), float(sys.argv[3])
cpu = int(sys.argv[4]) / int(sys.argv[5])
r = ok / el if el else 0
per = cpu / ok * 1e6 if ok else 0
print(f"halo-server REGISTER load (udp, $LIMIT in flight, $DURATION s): {ok} ok, {f} failed, {el:.2f} s "
      f"=> {r:.0f} registrations/s = {2*r:.0f} REGISTER transactions/s, CPU {cpu:.2f} s = {per:.0f} us per registration")
PY
[ "${failed:-1}" = 0 ] && [ "${ok:-0}" -gt 0 ]
