# shellcheck shell=bash
# Shared by deploy/install-kiosk.sh, deploy/install-server.sh and the rollback scripts.
#
# Every path is written under $ROOT (default /, like DESTDIR): the scripts can
# install into a throwaway root for tests or an image being prepared. Actions on
# the running system (apt-get, systemctl, starting PostgreSQL) happen only when
# ROOT is / ("live"), and each says so when it is skipped.
#
# No bytecode is compiled at install (a minute for the whole tree): the units
# set PYTHONPYCACHEPREFIX to a cache directory the service user may write, so
# what is imported is compiled once, at the first start, and a new release
# starts from an emptied cache.
#
# An application lives in /opt/<app>/releases/<id>/ (a virtualenv made by uv,
# relocatable, so it runs from the prefix as well as from /), with two relative
# symlinks: current -> releases/<id> and previous -> releases/<older id>. A
# re-run installs a new release beside the running one, checks it starts, then
# swaps the links (rename, atomic); only current and previous are kept.

set -euo pipefail

ROOT="${ROOT:-/}"
# uv trusts the system's certificate store (/etc/ssl/certs), like apt and pip do here.
export UV_NATIVE_TLS="${UV_NATIVE_TLS:-1}"
say() { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# r PATH: PATH under the root prefix.
r() {
  if [ "$ROOT" = "/" ]; then printf '%s' "$1"; else printf '%s%s' "${ROOT%/}" "$1"; fi
}

is_live() { [ "$ROOT" = "/" ]; }
has_systemd() { is_live && [ -d /run/systemd/system ]; }

need_root() {
  [ "$(id -u)" -eq 0 ] || die "run as root (sudo make $1)"
}

# ensure_system_user NAME HOME [GROUP...]: a system user with no login shell.
ensure_system_user() {
  local name=$1 home=$2
  shift 2
  local shell=/usr/sbin/nologin
  local prefix_opt=()
  is_live || prefix_opt=(--prefix "${ROOT%/}")
  if [ ! -e "$(r /etc/passwd)" ]; then
    die "$(r /etc/passwd) does not exist: --root must be a system root (with /etc/passwd)"
  fi
  if ! grep -q "^${name}:" "$(r /etc/passwd)"; then
    groupadd "${prefix_opt[@]}" --system "$name" 2>/dev/null || true
    useradd "${prefix_opt[@]}" --system --gid "$name" --home-dir "$home" --no-create-home \
      --shell "$shell" --comment "community kiosk ($name)" "$name"
    say "created system user $name (no login shell)"
  else
    usermod "${prefix_opt[@]}" --shell "$shell" "$name"
  fi
  local g have=()
  for g in "$@"; do
    grep -q "^${g}:" "$(r /etc/group)" && have+=("$g")
  done
  if [ ${#have[@]} -gt 0 ]; then
    usermod "${prefix_opt[@]}" --append --groups "$(IFS=,; echo "${have[*]}")" "$name"
  fi
}

# uid/gid of a user of the target root (numeric, so chown works under a prefix).
target_uid() { awk -F: -v u="$1" '$1 == u { print $3 }' "$(r /etc/passwd)"; }
target_gid() { awk -F: -v g="$1" '$1 == g { print $3 }' "$(r /etc/group)"; }

# install_dir MODE OWNER GROUP PATH
install_dir() {
  local mode=$1 owner=$2 group=$3 path=$4
  mkdir -p "$(r "$path")"
  chmod "$mode" "$(r "$path")"
  chown "$(target_uid "$owner")":"$(target_gid "$group")" "$(r "$path")"
}

# install_file MODE OWNER GROUP SRC DEST: copy, replacing what is there.
install_file() {
  local mode=$1 owner=$2 group=$3 src=$4 dest=$5
  mkdir -p "$(dirname "$(r "$dest")")"
  local tmp
  tmp="$(r "$dest").new.$$"
  cp "$src" "$tmp"
  chmod "$mode" "$tmp"
  chown "$(target_uid "$owner")":"$(target_gid "$group")" "$tmp"
  mv -f "$tmp" "$(r "$dest")"
}

# install_config MODE OWNER GROUP SRC DEST: only if DEST is absent (a re-run keeps the admin's file).
install_config() {
  if [ -e "$(r "$5")" ]; then
    say "kept $5 (yours; the template is $4)"
    return 0
  fi
  install_file "$@"
  say "wrote $5"
}

# find_uv: print a uv executable (UV env, PATH, or bootstrapped into /opt/<app>/tools).
find_uv() {
  local tools=$1
  if [ -n "${UV:-}" ]; then printf '%s' "$UV"; return; fi
  if command -v uv >/dev/null 2>&1; then command -v uv; return; fi
  if [ ! -x "$tools/bin/uv" ]; then
    say "bootstrapping uv into $tools" >&2
    "$PYTHON" -m venv "$tools" >&2
    "$tools/bin/pip" install -q 'uv>=0.4,<1' >&2
  fi
  printf '%s' "$tools/bin/uv"
}

# find_python: the system's Python 3.11 (not one from a virtualenv that happens to be on PATH:
# the service user must be able to run it, and it must outlive any checkout).
find_python() {
  local p
  for p in "${PYTHON:-}" /usr/bin/python3.11 /usr/local/bin/python3.11; do
    [ -n "$p" ] && [ -x "$p" ] && { printf '%s' "$p"; return; }
  done
  die "Python 3.11 not found (Debian 12: apt-get install python3.11)"
}

# release_id SOURCE: <UTC time>-<git commit or "src">
release_id() {
  local commit
  commit=$(git -C "$1" rev-parse --short=10 HEAD 2>/dev/null || echo src)
  if [ -n "$(git --no-optional-locks -C "$1" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    commit="${commit}-dirty"
  fi
  printf '%s-%s' "$(date -u +%Y%m%dT%H%M%SZ)" "$commit"
}

# install_release APP_DIR SOURCE SPEC CHECK_CMD...: make a new release, check it, switch to it.
# SPEC is the pip requirement relative to SOURCE, e.g. ".[server]".
install_release() {
  local app_dir=$1 source=$2 spec=$3
  shift 3
  local base id rel uv python
  base=$(r "$app_dir")
  python=$(find_python)
  PYTHON=$python
  uv=$(find_uv "$base/tools")
  id=$(release_id "$source")
  rel="$base/releases/$id"
  mkdir -p "$base/releases"
  rm -rf "$rel"
  say "installing $app_dir/releases/$id (uv: $uv)"
  # Build from a copy: the build must not write into the checkout (build/, *.egg-info).
  local src_copy
  src_copy=$(mktemp -d)
  tar -C "$source" --exclude=./.git --exclude=./.venv --exclude=./build --exclude=./test-output \
    --exclude='*.egg-info' --exclude=node_modules --exclude=__pycache__ -cf - . | tar -C "$src_copy" -xf -
  "$uv" venv --quiet --relocatable --python "$python" "$rel"
  if ! (cd "$src_copy" && "$uv" pip install --quiet --python "$rel/bin/python" "$spec"); then
    rm -rf "$rel" "$src_copy"
    die "installing the application into $rel failed; the running release is unchanged"
  fi
  rm -rf "$src_copy"
  printf '{"id": "%s", "source": "%s", "installed_at": "%s"}\n' \
    "$id" "$source" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$rel/release.json"
  if ! "$rel/bin/$1" "${@:2}" >/dev/null; then
    rm -rf "$rel"
    die "the new release does not start ($1 ${*:2}); the running release is unchanged"
  fi
  # previous <- current, current <- new: each a rename over the old link (atomic).
  if [ -L "$base/current" ]; then
    ln -sfn "$(readlink "$base/current")" "$base/previous.new"
    mv -T "$base/previous.new" "$base/previous"
  fi
  ln -sfn "releases/$id" "$base/current.new"
  mv -T "$base/current.new" "$base/current"
  prune_releases "$base"
  rm -rf "$(r "/var/cache/$(basename "$app_dir")/pycache")"
  say "current release: $id"
}

# prune_releases BASE: delete every release that is neither current nor previous.
prune_releases() {
  local base=$1 keep_cur keep_prev d
  keep_cur=$(readlink "$base/current" 2>/dev/null || true)
  keep_prev=$(readlink "$base/previous" 2>/dev/null || true)
  for d in "$base"/releases/*; do
    [ -d "$d" ] || continue
    case "releases/$(basename "$d")" in
      "$keep_cur"|"$keep_prev") ;;
      *) rm -rf "$d"; say "removed old release $(basename "$d")" ;;
    esac
  done
}

# rollback_release APP_DIR: swap current and previous (run twice = roll forward again).
rollback_release() {
  local base cur prev
  base=$(r "$1")
  [ -L "$base/previous" ] || die "no previous release under $1 to roll back to"
  cur=$(readlink "$base/current")
  prev=$(readlink "$base/previous")
  [ -d "$base/$prev" ] || die "previous release $prev is missing"
  ln -sfn "$prev" "$base/current.new"
  mv -T "$base/current.new" "$base/current"
  ln -sfn "$cur" "$base/previous.new"
  mv -T "$base/previous.new" "$base/previous"
  say "rolled back: current release is now ${prev#releases/} (previous: ${cur#releases/})"
}

systemd_reload_enable() {
  # systemd_reload_enable UNIT... : daemon-reload and enable (live systems with systemd only).
  if has_systemd; then
    systemctl daemon-reload
    systemctl enable "$@"
  else
    say "not a running systemd system: enable $* yourself (systemctl enable $*)"
  fi
}

restart_unit() {
  if has_systemd; then
    systemctl restart "$1"
    say "restarted $1"
  else
    say "not a running systemd system: restart $1 yourself"
  fi
}
