"""Test-wide set-up: an output folder for screenshots and artefacts, and the repo paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
OUTPUT = Path(os.environ.get("KIOSK_TEST_OUTPUT", REPO / "test-output"))


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
