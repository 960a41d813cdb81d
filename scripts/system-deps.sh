#!/usr/bin/env bash
# Install the Debian packages the kiosk and its tests need; idempotent.
# Only packages that are missing are installed, so a second run is quick.
set -euo pipefail
PKGS=(
  xvfb xauth x11-utils            # a virtual display when none is attached
  libgl1 libgl1-mesa-dri libegl1 libgles2 libmtdev1   # Mesa GL for Kivy
  fonts-noto-cjk                  # Chinese text
  socat                           # pseudo-terminal pairs for serial tests
  espeak-ng                       # spoken cues when no recorded clips exist
  postgresql                      # the central server's PostgreSQL tests
  imagemagick                     # screenshot inspection
  x11-xserver-utils               # xset: the kiosk sleeps the screen (DPMS) outside opening hours
  shellcheck                      # tests lint the install scripts under deploy/
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
echo "system packages: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
