#!/usr/bin/env bash
# Runs Halo on its embedded default: a local halo-server with demo users on a SQLite file.
# The desktop app is not built yet (its issue is still open): for now this starts the server
# alone and prints the demo accounts; stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${HALO_DATA:-${XDG_DATA_HOME:-$HOME/.local/share}/halo-server}"
mkdir -p "$data"
exec cargo run --quiet -p halo-server -- serve --demo --data "$data" \
    --http "${HALO_HTTP:-127.0.0.1:8080}" --domain "${HALO_DOMAIN:-halo.local}"
