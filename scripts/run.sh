#!/usr/bin/env bash
# Runs Halo on its embedded default: a local halo-server (demo users alice, bob and carol on a
# SQLite file, SIP on 127.0.0.1:5060) and the desktop app, its sign-in form filled in with the
# server and alice (type alice-secret, or set HALO_PASSWORD to have it filled in too).
#
# `scripts/run.sh --headless` (or HALO_HEADLESS=1) runs `halo`, the headless phone, instead:
# type commands (`status away at lunch`, `msg sip:bob@halo.local hi`, `call sip:echo@halo.local`,
# `quit`), read JSON events. HALO_USER=bob in a second terminal gives alice someone to talk to.
set -euo pipefail
cd "$(dirname "$0")/.."
headless="${HALO_HEADLESS:-0}"
[ "${1:-}" = "--headless" ] && headless=1
user="${HALO_USER:-alice}"
domain="${HALO_DOMAIN:-halo.local}"
http="${HALO_HTTP:-127.0.0.1:8080}"
sip="${HALO_SIP:-127.0.0.1:5060}"
data="${HALO_DATA:-${XDG_DATA_HOME:-$HOME/.local/share}/halo}"
bin="${CARGO_TARGET_DIR:-target}/debug"
mkdir -p "$data"

if [ "$headless" = 1 ]; then
    cargo build --quiet -p halo-server -p halo-session
else
    if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
        echo "run.sh: no display for the desktop app; use scripts/run.sh --headless" >&2
        exit 1
    fi
    # The first build of the desktop app takes a few minutes (WebKitGTK bindings).
    cargo build --quiet -p halo-server -p halo-desktop
fi

# Whether something accepts connections on $http (bash's /dev/tcp: no curl needed).
listening() { (exec 3<>"/dev/tcp/${http%:*}/${http##*:}") 2>/dev/null; }

server_pid=""
if ! listening; then
    "$bin/halo-server" serve --demo --data "$data/server" --http "$http" --sip "$sip" \
        --domain "$domain" >"$data/server.log" 2>&1 &
    server_pid=$!
    trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null' EXIT
    for _ in $(seq 100); do
        listening && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$data/server.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "halo-server: http://$http, sip:$sip, log in $data/server.log" >&2
fi

if [ "$headless" != 1 ]; then
    echo "Halo: sign in as $user (password $user-secret); the server stops when the window closes." >&2
    HALO_SERVER="http://$http" HALO_USER="$user" "$bin/halo-desktop"
    exit
fi

echo "Signed in as $user. Commands: status available|away|busy|dnd [note], watch sip:bob@$domain," >&2
echo "msg sip:bob@$domain hello, call sip:echo@$domain, hangup, buddies, quit." >&2
HALO_PASSWORD="${HALO_PASSWORD:-$user-secret}" "$bin/halo" --server "http://$http" \
    --user "$user" --password-env HALO_PASSWORD --data "$data/$user"
