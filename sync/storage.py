"""A TinyDB storage whose every write is atomic and durable.

Why this module exists: TinyDB's stock ``JSONStorage`` truncates and rewrites
its file in place, so a power cut mid-write leaves broken JSON, and its
``CachingMiddleware`` keeps unflushed writes in memory. A kiosk loses power
without warning, so every write here is: serialise the whole document first
(a serialisation error changes nothing on disk), write it to a temporary file
in the same directory, ``fsync`` it, ``os.replace`` it over the old file and
``fsync`` the directory so the rename itself is durable. When ``write``
returns, the data is on disk; if it raises, the old file is untouched.

Reads are cached in memory (the file only changes through this object, the
store holds an exclusive lock on its directory); a failed write drops the
cache so the next read comes from disk again.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

log = logging.getLogger(__name__)

TMP_SUFFIX = ".tmp"


class CorruptFileError(ValueError):
    """A store file exists but does not hold a JSON object."""

    def __init__(self, path: Path, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)


def dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )


def read_json_object(path: Path) -> dict[str, Any] | None:
    """Read a JSON object from ``path``; ``None`` if absent; ``CorruptFileError`` if broken."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    if not raw.strip():
        raise CorruptFileError(path, "file is empty")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptFileError(path, f"not valid JSON ({exc})") from None
    except RecursionError:
        raise CorruptFileError(path, "nested too deeply to read") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise CorruptFileError(path, f"unreadable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CorruptFileError(path, f"expected a JSON object, found {type(data).__name__}")
    return data


class AtomicJSONStorage(Storage):
    """TinyDB storage: atomic, durable writes; reads cached while the file is ours."""

    def __init__(self, path: str | os.PathLike[str], cache: bool = True) -> None:
        self.path = Path(path)
        self._use_cache = cache
        self._cache: dict[str, Any] | None = None

    def read(self) -> dict[str, Any] | None:
        if self._cache is not None:
            return self._cache
        data = read_json_object(self.path)
        if self._use_cache:
            self._cache = data
        return data

    def write(self, data: dict[str, Any]) -> None:
        try:
            payload = dumps(data)  # serialise first: a bad value changes nothing on disk
            atomic_write_bytes(self.path, payload)
        except BaseException:
            self._cache = None  # TinyDB mutated the cached dict; re-read the truth from disk
            raise
        if self._use_cache:
            self._cache = data

    def drop_cache(self) -> None:
        self._cache = None

    def close(self) -> None:
        self._cache = None
