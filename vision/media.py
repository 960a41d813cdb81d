"""Where the real test clips are: ``../shared/media/manifest.json`` beside the repo.

The path is relative to the repository root (CI puts a copy of ``shared/``
beside the clone), overridable with the ``KIOSK_MEDIA_MANIFEST`` environment
variable or a command-line flag. Videos are only read, never copied.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ENV_VAR = "KIOSK_MEDIA_MANIFEST"
REPO_ROOT = Path(__file__).resolve().parents[1]


def default_manifest_path() -> Path:
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return (REPO_ROOT.parent / "shared" / "media" / "manifest.json").resolve()


def load_manifest(path: str | Path | None = None) -> list[dict]:
    p = Path(path) if path else default_manifest_path()
    data = json.loads(p.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{p}: expected a JSON list of clips")
    return data
