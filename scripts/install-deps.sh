#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian 12 machine. Idempotent: a second run
# installs nothing and needs no network. Run as root (CI is root).
#
#   apt: Kamailio + baresip + sipp + tshark (the interop rig, tests/interop/install.sh),
#        pkg-config/libssl-dev/clang for -sys crates,
#        WebKitGTK (the desktop app's webview), Xvfb + xauth (its window in tests),
#        WebKitWebDriver (webkit2gtk-driver), ImageMagick (icons, screenshots)
#   rustup: the rustfmt and clippy components, if the toolchain lacks them
#   cargo: cargo-fuzz (fuzz runs), tauri-driver (WebDriver for the desktop app's E2E test)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"

"$here/tests/interop/install.sh"

apt_pkgs=(pkg-config build-essential
          libwebkit2gtk-4.1-dev xvfb xauth webkit2gtk-driver imagemagick)
missing=()
for p in "${apt_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || { echo "install-deps: run as root (missing: ${missing[*]})" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get -o DPkg::Lock::Timeout=300 update -qq
    timeout 1200 apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}"
fi

# The format and lint gates need these toolchain components (rustup images usually carry them).
for component in rustfmt clippy; do
    cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1 || rustup component add "$component"
done

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
if ! command -v tauri-driver >/dev/null 2>&1; then
    cargo install tauri-driver --locked
fi
echo "install-deps: done"
