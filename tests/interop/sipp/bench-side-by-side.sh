#!/usr/bin/env bash
# Side by side, in one run on this machine: Kamailio (the rig, 127.0.0.1:5070) and a release
# halo-server (loopback ports below), measured with the same tools.
#
#   1. REGISTER with Digest under sipp (reg_load.xml, users load0000..0199): run-reg-load.sh
#      against Kamailio, then run-reg-load-halo.sh against halo-server.
#   2. Presence fan-out: COUNT watchers (fan0000.., password fan-secret) subscribe to fanpub,
#      one PUBLISH, time to the last NOTIFY (examples/presence_fanout.rs), on each server.
#
#   cargo build --release -p halo-server \
#       -p halo-registrar --example presence_fanout
#   tests/interop/sipp/bench-side-by-side.sh
#   DURATION=10 LIMIT=100 COUNT=1000 ROUNDS=2 tests/interop/sipp/bench-side-by-side.sh
#
# Kamailio is started if it is not running (and then stopped again at the end); the fan users
# are added to its subscriber table (additions only, so other users of the rig are unaffected).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../lib/common.sh"
TARGET="${CARGO_TARGET_DIR:-$HERE/../../../target}"
HALO_SERVER="${HALO_SERVER:-$TARGET/release/halo-server}"
FANOUT="${FANOUT:-$TARGET/release/examples/presence_fanout}"
DURATION="${DURATION:-10}"
LIMIT="${LIMIT:-100}"
COUNT="${COUNT:-1000}"
ROUNDS="${ROUNDS:-1}"
SIP_PORT="${SIP_PORT:-5271}"
HTTP_PORT="${HTTP_PORT:-18271}"
FANOUT_PORT="${FANOUT_PORT:-5300}"   # and the next 9 (SOCKETS)
OUT="${BENCH_DIR:-/tmp/halo-bench}"
for f in "$HALO_SERVER" "$FANOUT"; do
    [ -x "$f" ] || { echo "$f is missing: build it first (see the header)" >&2; exit 1; }
done
rm -rf "$OUT" && mkdir -p "$OUT"

started_kamailio=0
halo_pid=
cleanup() {
    [ -n "$halo_pid" ] && { kill -TERM "$halo_pid" 2>/dev/null || true; wait "$halo_pid" 2>/dev/null || true; }
    [ "$started_kamailio" = 1 ] && "$HERE/../kamailio-down.sh" || true
}
trap cleanup EXIT

seed_fan_users() {
    {
        echo "BEGIN;"
        echo "DELETE FROM subscriber WHERE username = 'fanpub' OR username LIKE 'fan0%';"
        echo "INSERT INTO subscriber (username, domain, password) VALUES ('fanpub', '$SIP_DOMAIN', 'fan-secret');"
        for ((i = 0; i < COUNT; i++)); do
            printf "INSERT INTO subscriber (username, domain, password) VALUES ('fan%04d', '%s', 'fan-secret');\n" "$i" "$SIP_DOMAIN"
        done
        echo "COMMIT;"
    } | sqlite3 "$KAM_DB" >/dev/null
}

# The rig is shared: another test may stop Kamailio between our steps. Before each Kamailio
# step, start it again if needed (a start makes a fresh DB) and add the fan users (additions
# only, so other users of the rig are unaffected).
kamailio_ready() {
    pid_alive "$KAM_PIDFILE" kamailio && [ -S "$KAM_RUN/kamailio_ctl" ] && return 0
    "$HERE/../kamailio-up.sh"
    started_kamailio=1
    seed_fan_users
}
if pid_alive "$KAM_PIDFILE" kamailio; then
    # Already running (someone else's): it may lack the fan users.
    seed_fan_users
fi

# A halo-server for the fan-out (the REGISTER script starts its own), with the same users and
# fanpub allowing every watcher (as its buddies; Kamailio's rig has force_active=1).
mkdir -p "$OUT/halo/data"
printf '[argon2]\nmemory_kib = 64\niterations = 1\n' >"$OUT/halo/halo.toml"
"$HALO_SERVER" --config "$OUT/halo/halo.toml" --data "$OUT/halo/data" --domain "$SIP_DOMAIN" \
    serve --http "127.0.0.1:$HTTP_PORT" --sip "127.0.0.1:$SIP_PORT" --demo >"$OUT/halo/server.log" 2>&1 &
halo_pid=$!
for _ in $(seq 100); do grep -q "SIP on" "$OUT/halo/server.log" && break; sleep 0.2; done
python3 - "$HTTP_PORT" "$COUNT" <<'PY'
import json, sys, urllib.request, urllib.error
base, count = f"http://127.0.0.1:{sys.argv[1]}", int(sys.argv[2])
def call(path, body, token=None):
    req = urllib.request.Request(base + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    if token: req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req) as r: return json.load(r)
    except urllib.error.HTTPError as e:
        if e.code != 409: raise
admin = call("/auth/login", {"username": "admin", "password": "admin-secret"})["access_token"]
names = ["fanpub"] + [f"fan{i:04d}" for i in range(count)]
for n in names: call("/users", {"username": n, "password": "fan-secret"}, admin)
pub = call("/auth/login", {"username": "fanpub", "password": "fan-secret"})["access_token"]
for n in names[1:]: call("/users/me/buddies", {"username": n}, pub)
PY

summary="$OUT/summary.txt"
: >"$summary"
for ((round = 1; round <= ROUNDS; round++)); do
    kamailio_ready
    log "round $round: REGISTER load, Kamailio"
    k=$(DURATION="$DURATION" LIMIT="$LIMIT" "$HERE/run-reg-load.sh" 2>/dev/null | grep '=>' || true)
    log "round $round: REGISTER load, halo-server"
    h=$(HALO_SERVER="$HALO_SERVER" DURATION="$DURATION" LIMIT="$LIMIT" RUN_DIR="$OUT/reg-load" \
        "$HERE/run-reg-load-halo.sh" 2>/dev/null || true)
    kamailio_ready
    log "round $round: presence fan-out, Kamailio"
    # As run-reg-load.sh does: per-message INFO logging and sipdump cost more than presence.
    old_debug="$(kamcmd -s "$KAM_CTL" cfg.get core debug 2>/dev/null || echo 2)"
    kamcmd -s "$KAM_CTL" cfg.seti core debug 1 >/dev/null
    kamcmd -s "$KAM_CTL" sipdump.enable 0 >/dev/null
    kf=$("$FANOUT" "$KAM_IP:$KAM_PORT" "$SIP_DOMAIN" fanpub fan-secret fan "$COUNT" fan-secret \
        "127.0.0.1:$FANOUT_PORT" 2>&1 | tail -2 | tr '\n' ' ' || true)
    kamcmd -s "$KAM_CTL" cfg.seti core debug "$old_debug" >/dev/null || true
    kamcmd -s "$KAM_CTL" sipdump.enable 1 >/dev/null || true
    log "round $round: presence fan-out, halo-server"
    hf=$("$FANOUT" "127.0.0.1:$SIP_PORT" "$SIP_DOMAIN" fanpub fan-secret fan "$COUNT" fan-secret \
        "127.0.0.1:$FANOUT_PORT" 2>&1 | tail -2 | tr '\n' ' ' || true)
    {
        echo "round $round ($(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
        echo "  REGISTER  Kamailio   : $k"
        echo "  REGISTER  halo-server: $h"
        echo "  fan-out   Kamailio   : $kf"
        echo "  fan-out   halo-server: $hf"
    } | tee -a "$summary"
done
