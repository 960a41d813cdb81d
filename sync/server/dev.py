"""Start a local ingest server in the background, for ``make run`` and demos.

Why this module exists: the kiosk on a developer's machine should sync to a
real server without set-up. :func:`start_local_server` runs
``kiosk-server run --dev`` as a child process on 127.0.0.1, waits until it
answers ``/api/v1/health`` and returns its URL, the kiosk's token (also
written to ``<data_dir>/sync-token`` where the kiosk's default config finds
it) and a ``stop`` callable. If a server already answers on that port it is
reused and ``stop`` does nothing.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from kiosk.data_layout import DataLayout
from sync.server.cli import DEFAULT_PORT

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalServer:
    url: str
    token: str
    stop: Callable[[], None]
    pid: int | None = None


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/api/v1/health", timeout=(0.5, 2)).status_code == 200
    except requests.RequestException:
        return False


def start_local_server(
    data_dir: Path,
    *,
    kiosk_id: str = "kiosk-local",
    port: int = DEFAULT_PORT,
    timeout_s: float = 20.0,
    log_file: Path | None = None,
) -> LocalServer:
    """Start (or reuse) a dev server on 127.0.0.1:``port`` for the kiosk whose data is in ``data_dir``."""
    data_dir = Path(data_dir)
    url = f"http://127.0.0.1:{port}"
    token_path = DataLayout(data_dir).sync_token
    if _healthy(url) and token_path.exists():
        log.info("a local server already answers on %s; reusing it", url)
        return LocalServer(url, token_path.read_text().strip(), lambda: None)
    log_path = log_file or DataLayout(data_dir).logs / "dev-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    out = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed in stop()
    cmd = [
        sys.executable,
        "-m",
        "sync.server.cli",
        "run",
        "--dev",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--kiosk-id",
        kiosk_id,
        "--kiosk-data-dir",
        str(data_dir),
        "--log-level",
        "WARNING",
    ]
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        out.close()

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out.close()
            raise RuntimeError(f"local server exited with code {proc.returncode}; see {log_path}")
        if _healthy(url):
            token = token_path.read_text(encoding="utf-8").strip()
            log.info("local server started on %s (pid %d)", url, proc.pid)
            return LocalServer(url, token, stop, proc.pid)
        time.sleep(0.1)
    stop()
    raise RuntimeError(
        f"local server did not answer on {url} within {timeout_s:.0f} s; see {log_path}"
    )
