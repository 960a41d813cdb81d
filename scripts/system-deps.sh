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
  alsa-utils                      # aplay: recorded voice clips and lesson narration
  postgresql                      # the central server's PostgreSQL tests
  imagemagick                     # screenshot inspection
  x11-xserver-utils               # xset: the kiosk sleeps the screen (DPMS) outside opening hours
  shellcheck                      # tests lint the install scripts under deploy/
  chromium                        # manager-page tests (driven by Playwright)
  poppler-utils                   # pdftotext/pdftoppm: check the printed monthly report
)
# npm builds the manager pages' chart library; a Node.js from elsewhere (e.g.
# NodeSource, which bundles npm) is fine, else Debian's nodejs + npm.
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)
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
