#!/usr/bin/env bash
# Install (or upgrade in place) the central server: `make install-server`.
#
#   deploy/install-server.sh [--root DIR] [--source DIR] [--skip-packages]
#                            [--no-start] [--pg-port PORT] [--hostname NAME]
#
# What it does (docs/deploy.md explains each part):
#   - a `kiosk-server` system user with no login shell;
#   - the server in its own virtualenv: /opt/community-kiosk-server/current
#     (previous release kept: deploy/rollback-server);
#   - config /etc/community-kiosk-server/server.toml (kept on re-runs);
#   - PostgreSQL: installed if absent, a cluster created if there is none,
#     started, a role and database `kiosk-server` / `community_kiosk` made, the
#     schema migrated;
#   - TLS: the certificate named in the config, or a self-signed one made once
#     for a closed network (/etc/community-kiosk-server/tls/);
#   - systemd units: kiosk-server.service (uvicorn workers) and
#     kiosk-server-backup.timer (nightly pg_dump with retention).
#
# --root DIR installs the files into DIR (a system root being prepared, or a
# test's throwaway root) and skips what needs the running system: packages,
# PostgreSQL, migrations, systemctl.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=deploy/lib.sh
. "$HERE/lib.sh"

SOURCE="$(cd "$HERE/.." && pwd)"
SKIP_PACKAGES=0
START=1
PG_PORT=""
TLS_NAME="$(hostname -f 2>/dev/null || hostname)"
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="$2"; shift 2 ;;
    --source) SOURCE="$(cd "$2" && pwd)"; shift 2 ;;
    --skip-packages) SKIP_PACKAGES=1; shift ;;
    --no-start) START=0; shift ;;
    --pg-port) PG_PORT="$2"; shift 2 ;;
    --hostname) TLS_NAME="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
ROOT="${ROOT%/}"; ROOT="${ROOT:-/}"
need_root install-server

APP=/opt/community-kiosk-server
ETC=/etc/community-kiosk-server
DATA=/var/lib/community-kiosk-server
BACKUPS=/var/backups/community-kiosk-server
USER_NAME=kiosk-server
DB_NAME=community_kiosk
CONFIG="$ETC/server.toml"

# ---- packages ------------------------------------------------------------------------
PACKAGES=(postgresql postgresql-client openssl python3.11 ca-certificates)
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

# ---- user and directories ----------------------------------------------------------------
ensure_system_user "$USER_NAME" "$DATA"
install_dir 0755 root root "$APP"
install_dir 0750 root "$USER_NAME" "$ETC"
install_dir 0750 "$USER_NAME" "$USER_NAME" "$DATA"
install_dir 0700 "$USER_NAME" "$USER_NAME" "$BACKUPS"

# ---- the application ----------------------------------------------------------------------
install_release "$APP" "$SOURCE" ".[server]" kiosk-server --help
# `kiosk-server` on the PATH for administrators, reading the installed config.
wrapper=$(mktemp)
# shellcheck disable=SC2016  # $@ and ${...} are for the wrapper, not expanded here
printf '#!/bin/sh\n# installed by deploy/install-server.sh\nexport KIOSK_SERVER_CONFIG="${KIOSK_SERVER_CONFIG:-%s}"\nexec %s/current/bin/kiosk-server "$@"\n' \
  "$CONFIG" "$APP" > "$wrapper"
install_file 0755 root root "$wrapper" /usr/local/bin/kiosk-server
rm -f "$wrapper"

# ---- TLS ------------------------------------------------------------------------------
install_dir 0750 root "$USER_NAME" "$ETC/tls"
if [ ! -e "$(r "$ETC/tls/server.crt")" ]; then
  tmpkey="$(r "$ETC/tls/server.key").new"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=$TLS_NAME/O=Community kiosk server (self-signed)" \
    -addext "subjectAltName=DNS:$TLS_NAME,DNS:localhost,IP:127.0.0.1" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -keyout "$tmpkey" -out "$(r "$ETC/tls/server.crt").new" 2>/dev/null
  chmod 0640 "$tmpkey"; chown root:"$(target_gid "$USER_NAME")" "$tmpkey"
  chmod 0644 "$(r "$ETC/tls/server.crt").new"
  mv -f "$tmpkey" "$(r "$ETC/tls/server.key")"
  mv -f "$(r "$ETC/tls/server.crt").new" "$(r "$ETC/tls/server.crt")"
  say "made a self-signed TLS certificate for $TLS_NAME (10 years): $ETC/tls/server.crt"
  say "  copy it to each kiosk and set [sync] ca_bundle to it (docs/deploy.md)"
fi

# ---- config ---------------------------------------------------------------------------
PG_SOCKET=/var/run/postgresql
DB_URL="postgresql://$USER_NAME@/$DB_NAME?host=$PG_SOCKET"
[ -n "$PG_PORT" ] && DB_URL="$DB_URL&port=$PG_PORT"
tmpconf=$(mktemp)
sed -e "s|@DB_URL@|${DB_URL//&/\\&}|" -e "s|@ETC@|$ETC|g" -e "s|@BACKUPS@|$BACKUPS|" \
  "$HERE/server/server.toml" > "$tmpconf"
install_config 0640 root "$USER_NAME" "$tmpconf" "$CONFIG"
rm -f "$tmpconf"

# ---- systemd units ----------------------------------------------------------------------
for unit in kiosk-server.service kiosk-server-backup.service kiosk-server-backup.timer; do
  install_file 0644 root root "$HERE/systemd/$unit" "/etc/systemd/system/$unit"
done

# ---- PostgreSQL and the schema (live systems only) -----------------------------------------------
if ! is_live; then
  say "--root given: PostgreSQL, migrations and systemctl are left for the running system"
  exit 0
fi

pg_version() { find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tail -1; }
VER=$(pg_version)
[ -n "$VER" ] || die "PostgreSQL server binaries not found (apt-get install postgresql)"
CLUSTER=$(pg_lsclusters --no-header 2>/dev/null | awk -v v="$VER" '$1 == v { print $2; exit }')
if [ -z "$CLUSTER" ]; then
  CLUSTER=main
  say "creating PostgreSQL cluster $VER/$CLUSTER"
  port_opt=()
  [ -n "$PG_PORT" ] && port_opt=(--port "$PG_PORT")
  pg_createcluster "${port_opt[@]}" --locale C.UTF-8 "$VER" "$CLUSTER" >/dev/null
fi
if ! pg_lsclusters --no-header | awk -v v="$VER" -v c="$CLUSTER" '$1 == v && $2 == c' | grep -q online; then
  if has_systemd; then
    systemctl enable --now "postgresql@$VER-$CLUSTER"
  else
    pg_ctlcluster "$VER" "$CLUSTER" start
  fi
  say "started PostgreSQL $VER/$CLUSTER"
fi
CLUSTER_PORT=$(pg_lsclusters --no-header | awk -v v="$VER" -v c="$CLUSTER" '$1 == v && $2 == c { print $3 }')
if [ -z "$PG_PORT" ] && [ "$CLUSTER_PORT" != 5432 ]; then
  warn "cluster $VER/$CLUSTER listens on port $CLUSTER_PORT: add &port=$CLUSTER_PORT to [database] url"
fi
psql_admin() { runuser -u postgres -- psql --cluster "$VER/$CLUSTER" -v ON_ERROR_STOP=1 -qAt "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$USER_NAME'")" != 1 ]; then
  psql_admin -c "CREATE ROLE \"$USER_NAME\" LOGIN"
  say "created database role $USER_NAME (peer authentication on the local socket)"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE $DB_NAME OWNER \"$USER_NAME\" ENCODING 'UTF8' TEMPLATE template0"
  say "created database $DB_NAME"
fi
runuser -u "$USER_NAME" -- env KIOSK_SERVER_CONFIG="$CONFIG" "$APP/current/bin/kiosk-server" migrate

systemd_reload_enable kiosk-server.service kiosk-server-backup.timer
if has_systemd && [ "$START" -eq 1 ]; then
  systemctl restart kiosk-server.service
  systemctl start kiosk-server-backup.timer
  say "kiosk-server started: systemctl status kiosk-server"
fi
say "done. Enrol a kiosk: sudo -u $USER_NAME kiosk-server add-kiosk NAME --community NAME"
