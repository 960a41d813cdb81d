"""The kiosk side of sync needs no server dependencies (they are the ``server`` extra)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.sync.helpers import REPO

SERVER_ONLY = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg")


def test_kiosk_side_modules_do_not_import_server_dependencies() -> None:
    code = (
        "import json, sys\n"
        "import sync.client, sync.store, sync.records, sync.api, sync.storage\n"
        "import kiosk.data_layout, kiosk.services.sync_service, kiosk.services.store_service\n"
        "print(json.dumps(sorted(m for m in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout)
    assert "sync.client" in loaded and "sync.store" in loaded  # the check itself works
    bad = sorted(m for m in loaded if m.split(".")[0] in SERVER_ONLY)
    assert bad == [], f"kiosk-side import pulled in server dependencies: {bad}"
