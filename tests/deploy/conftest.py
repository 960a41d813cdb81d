"""Fixtures for the install tests: a throwaway root, the repo, the PATH that finds uv."""

from __future__ import annotations

import sys
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
