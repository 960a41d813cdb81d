"""Test-wide set-up: an output folder for screenshots and artefacts, the repo paths, and
one private PostgreSQL cluster per session (``pg_cluster``, see ``tests/pg_cluster.py``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg_cluster import PgCluster, PgUnavailable, running_cluster

REPO = Path(__file__).resolve().parent.parent
OUTPUT = Path(os.environ.get("KIOSK_TEST_OUTPUT", REPO / "test-output"))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Empty the kiosk screenshots folder once per run. Under pytest-xdist every worker
    starts its own kiosk, so clearing it there would delete another worker's fresh shots."""
    if hasattr(session.config, "workerinput"):
        return
    shutil.rmtree(OUTPUT / "screenshots", ignore_errors=True)


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        with running_cluster() as cluster:
            yield cluster
    except PgUnavailable as exc:
        pytest.skip(str(exc))
SAMPLE_SOURCES = [
    "content/sample", "content/build.py", "content/illustrations.py", "content/bundle.py",
    "content/manifest.py", "content/lessons.py", "content/subtitles.py", "vision/sim.py",
    "vision/metrics.py",
]
"""What the sample bundle is made from (its cache key)."""


def _sample_key() -> str:
    import hashlib

    h = hashlib.sha256()
    for rel in SAMPLE_SOURCES:
        root = REPO / rel
        for path in sorted([root] if root.is_file() else root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


@pytest.fixture(scope="session")
def sample_bundle() -> Path:
    """The sample lessons bundle built from ``content/sample`` with the real build tool
    (espeak-ng narration, drawn pictures, an H.264 video): built once per change of its
    sources and kept under ``test-output/cache``, so the content and kiosk tests share it."""
    from content.build import build_bundle

    cache = OUTPUT / "cache" / "sample-content"
    path = cache / f"sample-content-{_sample_key()}.zip"
    if not path.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        for old in cache.glob("sample-content-*.zip"):
            old.unlink(missing_ok=True)
        tmp = cache / f"building-{os.getpid()}.zip"  # parallel test workers build apart
        build_bundle(REPO / "content" / "sample", tmp)
        tmp.replace(path)
    return path
