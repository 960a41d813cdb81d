"""Fixtures for the vision tests: recorded traces, the real clips (skipped when absent)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TRACES = REPO / "tests" / "data" / "traces"
MEDIA_MANIFEST = Path(os.environ.get("KIOSK_MEDIA_MANIFEST",
                                     REPO.parent / "shared" / "media" / "manifest.json"))


def manifest_entries() -> list[dict]:
    """The clip manifest kept beside the traces' names (read from the media when present)."""
    p = TRACES / "manifest.json"
    return json.loads(p.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def media_dir() -> Path:
    if not MEDIA_MANIFEST.is_file():
        pytest.skip(f"real clips not available: {MEDIA_MANIFEST} is missing "
                    "(a copy of shared/ beside the repository provides them)")
    return MEDIA_MANIFEST.parent


@pytest.fixture(scope="session")
def specs():
    from vision.exercises import load_exercises

    return load_exercises()
