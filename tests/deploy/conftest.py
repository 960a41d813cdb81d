"""Fixtures for the install tests: a throwaway root, the repo, the PATH that finds uv."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.throwaway import CLEAN_ENV, unavailable_reason

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
VENV_BIN = Path(sys.executable).parent
"""The test virtualenv's bin: it has ``uv`` (test extra), which the install scripts use
(without it they bootstrap uv with pip, which is slower)."""
INSTALL_PATH = f"{VENV_BIN}:{CLEAN_ENV['PATH']}"


@pytest.fixture(scope="session")
def throwaway_ok() -> None:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"no throwaway root on this machine: {reason}")


@dataclass
class Prefix:
    """A system root prepared by ``install-kiosk.sh --root``."""

    root: Path
    log: str

    def p(self, rel: str) -> Path:
        return self.root / rel.lstrip("/")

    def ids(self, user: str) -> tuple[int, int]:
        for line in self.p("etc/passwd").read_text().splitlines():
            f = line.split(":")
            if f[0] == user:
                return int(f[2]), int(f[3])
        raise KeyError(user)

    def owner(self, rel: str) -> tuple[str, str]:
        st = self.p(rel).stat()
        users = {int(f[2]): f[0] for f in (ln.split(":") for ln in
                 self.p("etc/passwd").read_text().splitlines())}
        groups = {int(f[2]): f[0] for f in (ln.split(":") for ln in
                  self.p("etc/group").read_text().splitlines())}
        return users[st.st_uid], groups[st.st_gid]


def install_kiosk(prefix: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["bash", str(DEPLOY / "install-kiosk.sh"), "--root", str(prefix), *extra],
        capture_output=True, text=True, timeout=900,
        env=dict(CLEAN_ENV, PATH=INSTALL_PATH),
    )
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="session")
def kiosk_prefix(tmp_path_factory: pytest.TempPathFactory, throwaway_ok: None) -> Iterator[Prefix]:
    """The kiosk installed into a fresh root prefix (this machine's account files to start)."""
    root = tmp_path_factory.mktemp("kiosk-image")
    root.chmod(0o755)
    (root / "etc").mkdir()
    for name in ("passwd", "group", "shadow", "gshadow"):
        shutil.copy2(f"/etc/{name}", root / "etc" / name)
    done = install_kiosk(root, "--kiosk-id", "park-east-1", "--server-url",
                         "https://srv.example:8443")
    yield Prefix(root, done.stdout + done.stderr)
    shutil.rmtree(root, ignore_errors=True)
