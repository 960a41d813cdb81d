"""The server's container image (deploy/Containerfile): built and smoke-tested where an engine runs.

The systemd installation is the default; communities that run containers use
this image. Building needs a container engine (podman, or docker with a
running daemon) and network access to the base image; without an engine the
test skips and says which engine was looked for and why it cannot be used.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid

import pytest
import requests

from tests.deploy.conftest import REPO
from tests.sync.helpers import free_port


def _engine() -> tuple[str | None, str]:
    """The usable engine, or None with the reason none is usable."""
    reasons = []
    for name in ("podman", "docker"):
        path = shutil.which(name)
        if path is None:
            reasons.append(f"{name} not installed")
            continue
        probe = subprocess.run([path, "info"], capture_output=True, text=True, timeout=60)
        if probe.returncode == 0:
            return path, ""
        last = (probe.stderr or probe.stdout).strip().splitlines()
        reasons.append(f"{name} installed but not usable ({last[-1] if last else 'no answer'})")
    return None, "; ".join(reasons)


def test_containerfile_builds_and_the_image_serves_health() -> None:
    engine, why = _engine()
    if engine is None:
        pytest.skip(f"no container engine to build deploy/Containerfile: {why}")
    tag = f"community-kiosk-server-test:{uuid.uuid4().hex[:8]}"
    build = subprocess.run(
        [engine, "build", "-f", str(REPO / "deploy" / "Containerfile"), "-t", tag, str(REPO)],
        capture_output=True, text=True, timeout=1800,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    port = free_port()
    name = f"kiosk-server-{uuid.uuid4().hex[:8]}"
    run = subprocess.run(
        [engine, "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8765", tag],
        capture_output=True, text=True, timeout=120,
    )
    try:
        assert run.returncode == 0, run.stderr
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                r = requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                if r.status_code == 200:
                    assert r.json()["status"] == "ok"
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        logs = subprocess.run([engine, "logs", name], capture_output=True, text=True)
        raise AssertionError(f"container not healthy:\n{logs.stdout}\n{logs.stderr}")
    finally:
        subprocess.run([engine, "rm", "-f", name], capture_output=True)
        subprocess.run([engine, "rmi", "-f", tag], capture_output=True)
