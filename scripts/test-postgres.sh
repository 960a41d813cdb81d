#!/usr/bin/env bash
# Run only the PostgreSQL-backed sync tests. The tests start a private cluster
# themselves (initdb + pg_ctl on a free 127.0.0.1 port, as the postgres user when
# run as root) from the Debian package that scripts/system-deps.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest -m postgres tests/sync "$@"
