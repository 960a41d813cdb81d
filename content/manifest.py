"""The bundle manifest: what a content bundle says it holds, parsed and checked.

Why this module exists: the installer must decide from the manifest alone
whether a bundle is acceptable (its id, a version that only goes up, the app
version it needs, the files it holds with size and SHA-256) before writing a
byte. Parsing is a pure function of the manifest bytes; every problem is a
``ManifestError`` naming the field. The format is specified in
``docs/content-bundles.md``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

FORMAT = 1
"""The manifest format this code writes and reads."""

MANIFEST_NAME = "manifest.json"
"""The manifest's name inside a bundle (always the first entry)."""

MAX_MANIFEST_BYTES = 4 * 1024 * 1024
LANGS = ("zh_CN", "en")

BUNDLE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
"""Bundle, lesson and exercise ids: lower-case letters, digits, ``_`` and ``-``."""

_PATH_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_APP_VERSION = re.compile(r"^\d+(\.\d+){0,3}$")
TOP_DIRS = ("lessons", "exercises", "voice")
"""The only top-level folders a bundle may hold."""


class ManifestError(ValueError):
    """The manifest is invalid; the message names the field."""


class UnsafePathError(ValueError):
    """A path inside a bundle could escape the install folder or is not allowed."""


@dataclass(frozen=True)
class FileEntry:
    path: str
    """A relative POSIX path, checked by ``check_path``."""
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    id: str
    version: int
    """Only goes up: a kiosk never installs a version at or below the one it has."""
    title: dict[str, str]
    min_app_version: str
    lessons: tuple[str, ...]
    exercises: tuple[str, ...]
    voice: tuple[str, ...]
    """Languages of the voice packs: ``voice/<lang>/<key>.wav``."""
    files: tuple[FileEntry, ...]
    created: str = ""
    description: dict[str, str] | None = None

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": FORMAT,
            "id": self.id,
            "version": self.version,
            "title": dict(self.title),
            "min_app_version": self.min_app_version,
            "created": self.created,
            "lessons": list(self.lessons),
            "exercises": list(self.exercises),
            "voice": list(self.voice),
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }
        if self.description:
            out["description"] = dict(self.description)
        return out

    def to_bytes(self) -> bytes:
        return (json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def check_path(path: str) -> str:
    """Return ``path`` if it is a safe relative bundle path, else raise ``UnsafePathError``.

    Refused: absolute paths, ``..`` and ``.`` parts, backslashes, drive letters,
    empty parts, hidden names, characters outside ``[A-Za-z0-9._-]``, more than
    8 levels, and anything outside ``lessons/``, ``exercises/`` and ``voice/``.
    """
    if not isinstance(path, str) or not path:
        raise UnsafePathError("empty path")
    if path.startswith("/") or path.startswith("\\") or re.match(r"^[A-Za-z]:", path):
        raise UnsafePathError(f"{path!r}: absolute path")
    if "\\" in path:
        raise UnsafePathError(f"{path!r}: backslash in path")
    if "\x00" in path:
        raise UnsafePathError(f"{path!r}: NUL in path")
    parts = path.split("/")
    if any(p == ".." for p in parts):
        raise UnsafePathError(f"{path!r}: '..' in path")
    if any(p in ("", ".") for p in parts):
        raise UnsafePathError(f"{path!r}: empty or '.' part in path")
    if len(parts) > 8:
        raise UnsafePathError(f"{path!r}: nested more than 8 levels")
    for p in parts:
        if not _PATH_PART.match(p):
            raise UnsafePathError(f"{path!r}: part {p!r} has characters outside A-Z a-z 0-9 . _ -")
    if parts[0] not in TOP_DIRS or len(parts) < 2:
        raise UnsafePathError(f"{path!r}: not under {', '.join(d + '/' for d in TOP_DIRS)}")
    return path


def parse_app_version(text: str) -> tuple[int, ...]:
    if not _APP_VERSION.match(text):
        raise ValueError(f"not a version like 1.2.3: {text!r}")
    return tuple(int(p) for p in text.split("."))


def app_version_ok(needed: str, have: str) -> bool:
    """True if an app at version ``have`` satisfies ``needed`` (numeric, missing parts = 0)."""
    a, b = list(parse_app_version(needed)), list(parse_app_version(have))
    n = max(len(a), len(b))
    return tuple(b + [0] * (n - len(b))) >= tuple(a + [0] * (n - len(a)))


def _texts(d: object, where: str) -> dict[str, str]:
    if not isinstance(d, dict):
        raise ManifestError(f"{where}: must be an object with zh_CN and en texts")
    out: dict[str, str] = {}
    for lang in LANGS:
        v = d.get(lang)
        if not isinstance(v, str) or not v.strip():
            raise ManifestError(f"{where}.{lang}: missing or empty text")
        out[lang] = v
    extra = set(d) - set(LANGS)
    if extra:
        raise ManifestError(f"{where}: unknown language keys {sorted(extra)}")
    return out


def _ids(d: dict[str, Any], key: str) -> tuple[str, ...]:
    v = d.get(key, [])
    if not isinstance(v, list):
        raise ManifestError(f"{key}: must be a list")
    for i, x in enumerate(v):
        if not isinstance(x, str) or not BUNDLE_ID.match(x):
            raise ManifestError(f"{key}[{i}]: {x!r} is not an id (a-z, 0-9, '_', '-')")
    if len(set(v)) != len(v):
        raise ManifestError(f"{key}: listed twice: {sorted({x for x in v if v.count(x) > 1})}")
    return tuple(v)


_KEYS = {"format", "id", "version", "title", "min_app_version", "created", "lessons",
         "exercises", "voice", "files", "description"}


def parse_manifest(data: bytes) -> Manifest:
    """Parse manifest bytes; raise ``ManifestError`` naming the first problem."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"manifest is larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        obj = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ManifestError("manifest is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ManifestError(f"manifest is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(obj, dict):
        raise ManifestError("manifest must be a JSON object")
    return manifest_from_json(obj)


def manifest_from_json(obj: dict[str, Any]) -> Manifest:
    for key in ("format", "id", "version", "title", "min_app_version", "files"):
        if key not in obj:
            raise ManifestError(f"{key}: missing")
    extra = set(obj) - _KEYS
    if extra:
        raise ManifestError(f"unknown fields {sorted(extra)}")
    if obj["format"] != FORMAT:
        raise ManifestError(f"format: {obj['format']!r} is not supported (this app reads {FORMAT})")
    bid = obj["id"]
    if not isinstance(bid, str) or not BUNDLE_ID.match(bid):
        raise ManifestError(f"id: {bid!r} is not an id (a-z, 0-9, '_', '-', at most 64)")
    version = obj["version"]
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version < 2**53:
        raise ManifestError(f"version: must be a whole number of at least 1 (got {version!r})")
    title = _texts(obj["title"], "title")
    description = _texts(obj["description"], "description") if "description" in obj else None
    mav = obj["min_app_version"]
    if not isinstance(mav, str) or not _APP_VERSION.match(mav):
        raise ManifestError(f"min_app_version: must be like \"0.1.0\" (got {mav!r})")
    created = obj.get("created", "")
    if not isinstance(created, str):
        raise ManifestError("created: must be a text (an ISO 8601 time)")
    lessons = _ids(obj, "lessons")
    exercises = _ids(obj, "exercises")
    voice = obj.get("voice", [])
    if not isinstance(voice, list) or any(v not in LANGS for v in voice):
        raise ManifestError(f"voice: must list languages among {list(LANGS)} (got {voice!r})")
    files_raw = obj["files"]
    if not isinstance(files_raw, list):
        raise ManifestError("files: must be a list")
    files: list[FileEntry] = []
    seen: set[str] = set()
    for i, f in enumerate(files_raw):
        where = f"files[{i}]"
        if not isinstance(f, dict):
            raise ManifestError(f"{where}: must be an object with path, size and sha256")
        for key in ("path", "size", "sha256"):
            if key not in f:
                raise ManifestError(f"{where}.{key}: missing")
        if set(f) - {"path", "size", "sha256"}:
            raise ManifestError(f"{where}: unknown fields {sorted(set(f) - {'path', 'size', 'sha256'})}")
        try:
            path = check_path(f["path"])
        except UnsafePathError as exc:
            raise ManifestError(f"{where}.path: {exc}") from None
        if path.lower() in seen:
            raise ManifestError(f"{where}.path: {path!r} listed twice")
        seen.add(path.lower())
        size = f["size"]
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ManifestError(f"{where}.size: must be a whole number >= 0 (got {size!r})")
        sha = f["sha256"]
        if not isinstance(sha, str) or not _SHA256.match(sha):
            raise ManifestError(f"{where}.sha256: must be 64 lower-case hex digits")
        files.append(FileEntry(path, size, sha))
    paths = {f.path for f in files}
    for lid in lessons:
        if f"lessons/{lid}/lesson.json" not in paths:
            raise ManifestError(f"lessons: {lid!r} has no file lessons/{lid}/lesson.json")
    for name in exercises:
        if f"exercises/{name}.toml" not in paths:
            raise ManifestError(f"exercises: {name!r} has no file exercises/{name}.toml")
    for lang in voice:
        if not any(p.startswith(f"voice/{lang}/") for p in paths):
            raise ManifestError(f"voice: no files under voice/{lang}/")
    return Manifest(
        id=bid, version=version, title=title, min_app_version=mav, lessons=lessons,
        exercises=exercises, voice=tuple(voice), files=tuple(files), created=created,
        description=description,
    )
