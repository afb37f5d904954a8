#!/usr/bin/env bash
# Draws Halo's icon (a white ring round a yellow dot on a blue rounded square) with ImageMagick
# and writes the sizes tauri.conf.json names, as 8-bit RGBA PNGs (Tauri refuses other kinds).
# The PNGs are committed; run this only to change the drawing.
set -euo pipefail
cd "$(dirname "$0")"
# /usr/local/bin may hold a stand-in `convert`; Debian's ImageMagick is the real one.
convert=/usr/bin/convert
rgba=(-depth 8 -define png:color-type=6 -strip)
"$convert" -size 512x512 radial-gradient:'#3b82f6'-'#1e3a8a' \
    \( -size 512x512 xc:none -fill white -draw "roundrectangle 0,0 511,511 112,112" \) \
    -compose DstIn -composite \
    -fill none -stroke white -strokewidth 38 -draw "circle 256,256 256,116" \
    -fill '#facc15' -stroke none -draw "circle 256,256 256,196" \
    "${rgba[@]}" icon.png
"$convert" icon.png -resize 32x32 "${rgba[@]}" 32x32.png
"$convert" icon.png -resize 128x128 "${rgba[@]}" 128x128.png
"$convert" icon.png -resize 256x256 "${rgba[@]}" 128x128@2x.png
