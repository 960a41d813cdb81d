"""Manifest parsing and path rules (pure functions), and the clock hook into python-tuf."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from content.manifest import (
    ManifestError,
    UnsafePathError,
    app_version_ok,
    check_path,
    parse_manifest,
)
from tests.content.helpers import make_setup

GOOD = {"format": 1, "id": "demo", "version": 3, "title": {"zh_CN": "演示", "en": "Demo"},
        "min_app_version": "0.1.0", "lessons": [], "exercises": [], "voice": [],
        "files": [{"path": "lessons/a/x.png", "size": 3, "sha256": "a" * 64}]}


def bad(**change: object) -> bytes:
    d = json.loads(json.dumps(GOOD))
    for k, v in change.items():
        if v is None:
            del d[k]
        else:
            d[k] = v
    return json.dumps(d).encode()


def test_good_manifest_round_trips() -> None:
    m = parse_manifest(json.dumps(GOOD).encode())
    assert (m.id, m.version, m.total_size) == ("demo", 3, 3)
    assert parse_manifest(m.to_bytes()) == m


@pytest.mark.parametrize("data,needle", [
    (b"\xff\xfe", "not UTF-8"),
    (b"[1, 2]", "must be a JSON object"),
    (bad(version=0), "version"),
    (bad(version=True), "version"),
    (bad(format=2), "format: 2 is not supported"),
    (bad(id="Demo!"), "id:"),
    (bad(title={"zh_CN": "x"}), "title.en"),
    (bad(min_app_version="latest"), "min_app_version"),
    (bad(lessons=["l1"]), "lessons/l1/lesson.json"),
    (bad(voice=["fr"]), "voice"),
    (bad(extra=1), "unknown fields"),
    (bad(files=[{"path": "lessons/a/x.png", "size": -1, "sha256": "a" * 64}]), "files[0].size"),
    (bad(files=[{"path": "lessons/a/x.png", "size": 1, "sha256": "XYZ"}]), "files[0].sha256"),
    (bad(files=[{"path": "secret/x", "size": 1, "sha256": "a" * 64}]), "not under lessons/"),
    (bad(files=[{"path": "lessons/A.png", "size": 1, "sha256": "a" * 64},
                {"path": "lessons/a.png", "size": 1, "sha256": "a" * 64}]), "listed twice"),
])
def test_bad_manifests_name_the_field(data: bytes, needle: str) -> None:
    with pytest.raises(ManifestError, match=None) as exc:
        parse_manifest(data)
    assert needle in str(exc.value)


@pytest.mark.parametrize("path", ["../x", "lessons/../../x", "/etc/passwd", "C:/x", "lessons\\x",
                                  "lessons//x", "lessons/./x", "lessons/.hidden", "lessons/a b",
                                  "lessons/x\x00", "voice", "a/b/c/d/e/f/g/h/i"])
def test_unsafe_paths(path: str) -> None:
    with pytest.raises(UnsafePathError):
        check_path(path)


def test_app_versions() -> None:
    assert app_version_ok("0.1.0", "0.1.0") and app_version_ok("0.1", "0.1.2")
    assert not app_version_ok("0.2", "0.1.9") and not app_version_ok("1.0.0", "0.9")
    assert app_version_ok("1", "1.0.0")


def test_reference_time_hook_exists(tmp_path: Path) -> None:
    """The kiosk's clock reaches python-tuf; this fails loudly if an upgrade moves the attribute."""
    from tuf.ngclient import Updater

    from content.trust import _set_reference_time

    s = make_setup(tmp_path)
    root = (s.repo.metadata_dir / "1.root.json").read_bytes()
    (tmp_path / "meta").mkdir()
    u = Updater(str(tmp_path / "meta"), "file:///nonexistent/", bootstrap=root)
    _set_reference_time(u, s.clock())
    assert u._trusted_set.reference_time == s.clock()
