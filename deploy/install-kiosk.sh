#!/usr/bin/env bash
# Install (or upgrade in place) the kiosk app on this machine: `make install-kiosk`.
#
#   deploy/install-kiosk.sh [--root DIR] [--source DIR] [--skip-packages] [--no-start]
#                           [--session cage|xorg] [--kiosk-id NAME] [--server-url URL]
#
# What it does (docs/deploy.md explains each part):
#   - a `kiosk` system user with no login shell (groups for the screen, input,
#     serial ports and sound);
#   - the app in its own virtualenv: /opt/community-kiosk/current; the release
#     before it stays as /opt/community-kiosk/previous (deploy/rollback-kiosk);
#   - config in /etc/community-kiosk (kept on re-runs), data in /var/lib/community-kiosk;
#   - kiosk.service: the app at boot on tty1 in a locked-down session (cage, or
#     Xorg without a window manager), restarted on any exit and by the
#     watchdog when the UI freezes.
# Re-running it upgrades the app in place and keeps config and data.
#
# --root DIR installs the files into DIR (a system root being prepared, or a
# test's throwaway root) and leaves packages and systemctl to the running system.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=deploy/lib.sh
. "$HERE/lib.sh"

SOURCE="$(cd "$HERE/.." && pwd)"
SKIP_PACKAGES=0
START=1
SESSION=cage
KIOSK_ID="$(hostname -s 2>/dev/null || echo kiosk)"
SERVER_URL="https://kiosk-server:8443"
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="$2"; shift 2 ;;
    --source) SOURCE="$(cd "$2" && pwd)"; shift 2 ;;
    --skip-packages) SKIP_PACKAGES=1; shift ;;
    --no-start) START=0; shift ;;
    --session) SESSION="$2"; shift 2 ;;
    --kiosk-id) KIOSK_ID="$2"; shift 2 ;;
    --server-url) SERVER_URL="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
ROOT="${ROOT%/}"; ROOT="${ROOT:-/}"
case "$SESSION" in cage|xorg) ;; *) die "--session must be cage or xorg" ;; esac
need_root install-kiosk

APP=/opt/community-kiosk
ETC=/etc/community-kiosk
DATA=/var/lib/community-kiosk
LIB=/usr/lib/community-kiosk
USER_NAME=kiosk

# ---- packages ------------------------------------------------------------------------
PACKAGES=(python3.11 fonts-noto-cjk espeak-ng libgl1 libgl1-mesa-dri libegl1 libgles2 libmtdev1
          x11-xserver-utils ca-certificates)
if [ "$SESSION" = cage ]; then
  PACKAGES+=(cage xwayland)
else
  PACKAGES+=(xserver-xorg-core xserver-xorg-input-libinput xinit)
fi
if is_live && [ "$SKIP_PACKAGES" -eq 0 ]; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
else
  say "packages not touched (${PACKAGES[*]} are needed)"
fi

# ---- user and directories ------------------------------------------------------------------
ensure_system_user "$USER_NAME" "$DATA" video render input dialout audio plugdev
install_dir 0755 root root "$APP"
install_dir 0750 root "$USER_NAME" "$ETC"
install_dir 0750 "$USER_NAME" "$USER_NAME" "$DATA"
install_dir 0750 "$USER_NAME" "$USER_NAME" /var/cache/community-kiosk

# ---- the application ----------------------------------------------------------------------
install_release "$APP" "$SOURCE" ".[kiosk]" kiosk --version
wrapper=$(mktemp)
# shellcheck disable=SC2016  # $@ and ${...} are for the wrapper, not expanded here
printf '#!/bin/sh\n# installed by deploy/install-kiosk.sh\nexport KIOSK_CONFIG="${KIOSK_CONFIG:-%s}"\nexec %s/current/bin/kiosk "$@"\n' \
  "$ETC/config.toml" "$APP" > "$wrapper"
install_file 0755 root root "$wrapper" /usr/local/bin/kiosk
rm -f "$wrapper"
install_file 0755 root root "$HERE/kiosk/kiosk-session" "$LIB/kiosk-session"

# ---- config ------------------------------------------------------------------------------
CA_BUNDLE=""
[ -e "$(r "$ETC/server-ca.crt")" ] && CA_BUNDLE="$ETC/server-ca.crt"
PIN=$(printf '%06d' "$(( $(od -An -N4 -tu4 /dev/urandom) % 1000000 ))")
tmp=$(mktemp)
sed -e "s|@KIOSK_ID@|$KIOSK_ID|" -e "s|@SERVER_URL@|$SERVER_URL|" -e "s|@PIN@|$PIN|" \
  -e "s|@CA_BUNDLE@|$CA_BUNDLE|" "$HERE/kiosk/config.toml" > "$tmp"
install_config 0640 root "$USER_NAME" "$tmp" "$ETC/config.toml"
sed -e "s|@SESSION@|$SESSION|" "$HERE/kiosk/session.env" > "$tmp"
install_config 0644 root root "$tmp" "$ETC/session.env"
rm -f "$tmp"
install_file 0644 root root "$SOURCE/config.example.toml" "$ETC/config.example.toml"
# The config must be valid before the unit is (re)started: the new release checks it.
if is_live && ! "$APP/current/bin/kiosk" doctor --config "$ETC/config.toml" --json >/dev/null 2>&1; then
  warn "kiosk doctor reports problems: run 'kiosk doctor' to see them"
fi

# ---- systemd ------------------------------------------------------------------------------
install_file 0644 root root "$HERE/systemd/kiosk.service" /etc/systemd/system/kiosk.service
if has_systemd; then
  systemctl daemon-reload
  systemctl enable kiosk.service
  systemctl set-default graphical.target >/dev/null
  if systemctl is-enabled display-manager.service >/dev/null 2>&1; then
    systemctl disable display-manager.service
    say "disabled the display manager: the kiosk owns the screen"
  fi
  if [ "$START" -eq 1 ]; then
    systemctl restart kiosk.service
    say "kiosk started: systemctl status kiosk; journalctl -u kiosk"
  fi
else
  say "not a running systemd system: enable it yourself (systemctl enable kiosk.service)"
fi
say "done. Rollback to the previous release: make rollback-kiosk"
