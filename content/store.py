"""Installed content on the kiosk: immutable bundle trees, one view switched atomically.

Why this module exists: a power cut at any moment must leave the old content
active and the next start clean, and a maintainer must be able to roll a
bundle back. Layout under ``DataLayout.content``::

    store/<id>/<version>-<nonce>/   a verified, extracted bundle (never changed once there)
    staging/                        extractions in progress (emptied at every start)
    views/<n>/state.json            which bundle versions view n shows, what was skipped
    views/<n>/{lessons,exercises,voice}/...   relative symlinks into store/
    current -> views/<n>            THE switch: one atomic rename of a symlink
    lessons, exercises, voice       fixed symlinks into current/ (what the app reads:
                                    ``DataLayout.voice``, ``DataLayout.exercises``)
    downloads/                      partial downloads, kept for HTTP Range resume
    trust/                          TUF metadata this kiosk has verified
    status.json                     last check and failed installs (informational)

Order of an install: extract and verify in ``staging/``, sync the file
system, rename into ``store/``, build view n+1, sync, replace ``current``,
sync the folder; only then delete what no view needs. Killed before the
replace: ``current`` still names the old view, and ``recover()`` (run at every
start) deletes the leftovers. Killed after: the new view is complete.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LINKED_DIRS = ("lessons", "exercises", "voice")
STATE_FORMAT = 1


class StoreError(Exception):
    """A problem with the installed content (one-line message)."""


class BusyError(StoreError):
    """Another install is running."""


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True)
class InstalledBundle:
    id: str
    version: int
    dir: str
    """Folder name under ``store/<id>/``."""
    title: dict[str, str]
    installed_at: str
    lessons: tuple[str, ...] = ()
    exercises: tuple[str, ...] = ()
    voice: tuple[str, ...] = ()
    """Voice clips as ``<lang>/<key>.wav``."""
    skipped: tuple[Skipped, ...] = ()
    previous: tuple[tuple[int, str], ...] = ()
    """Older versions kept for rollback: (version, folder name)."""
    rolled_back_from: int = 0
    """After a rollback: the version that was rolled back (not installed again automatically)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "version": self.version, "dir": self.dir, "title": self.title,
            "installed_at": self.installed_at, "lessons": list(self.lessons),
            "exercises": list(self.exercises), "voice": list(self.voice),
            "skipped": [s.to_json() for s in self.skipped],
            "previous": [[v, d] for v, d in self.previous],
            "rolled_back_from": self.rolled_back_from,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> InstalledBundle:
        return cls(
            id=d["id"], version=int(d["version"]), dir=d["dir"], title=dict(d["title"]),
            installed_at=d["installed_at"], lessons=tuple(d.get("lessons", ())),
            exercises=tuple(d.get("exercises", ())), voice=tuple(d.get("voice", ())),
            skipped=tuple(Skipped(s["path"], s["reason"]) for s in d.get("skipped", ())),
            previous=tuple((int(v), str(p)) for v, p in d.get("previous", ())),
            rolled_back_from=int(d.get("rolled_back_from", 0)),
        )


@dataclass(frozen=True)
class State:
    generation: int = 0
    bundles: dict[str, InstalledBundle] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"format": STATE_FORMAT, "generation": self.generation,
                "bundles": {k: b.to_json() for k, b in sorted(self.bundles.items())}}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> State:
        return cls(int(d["generation"]), {k: InstalledBundle.from_json(v) for k, v in d["bundles"].items()})


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# -- durability helpers ---------------------------------------------------------------

_libc: ctypes.CDLL | None = None


def _syncfs(path: Path) -> bool:
    """Flush the file system holding ``path`` (Linux ``syncfs``); False if unavailable."""
    global _libc
    try:
        if _libc is None:
            name = ctypes.util.find_library("c")
            _libc = ctypes.CDLL(name, use_errno=True)
        syncfs = _libc.syncfs
    except (OSError, AttributeError, TypeError):
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        return int(syncfs(fd)) == 0
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_tree(root: Path) -> None:
    """Make every file and folder under ``root`` durable (one ``syncfs``, else fsync each)."""
    if _syncfs(root):
        return
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))


def atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _rmtree(path: Path) -> None:
    """Delete a folder tree; a half-deleted one from an earlier kill is fine."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


# -- the store -------------------------------------------------------------------------


class ContentStore:
    """The installed content under one folder (``DataLayout.content``)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    # paths
    @property
    def store_dir(self) -> Path:
        return self.root / "store"

    @property
    def staging_dir(self) -> Path:
        return self.root / "staging"

    @property
    def views_dir(self) -> Path:
        return self.root / "views"

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def downloads_dir(self) -> Path:
        return self.root / "downloads"

    @property
    def trust_dir(self) -> Path:
        return self.root / "trust"

    @property
    def status_file(self) -> Path:
        return self.root / "status.json"

    def bundle_dir(self, b: InstalledBundle) -> Path:
        return self.store_dir / b.id / b.dir

    # locking
    @contextmanager
    def lock(self) -> Iterator[None]:
        """One writer at a time (another process installing gets ``BusyError``)."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BusyError("another content install is running") from None
            yield
        finally:
            os.close(fd)

    # reading
    def state(self) -> State:
        """The active state (what ``current`` shows); empty if nothing was ever installed."""
        try:
            target = os.readlink(self.current)
        except FileNotFoundError:
            return State()
        except OSError as exc:
            raise StoreError(f"{self.current}: not a symlink ({exc.strerror})") from None
        path = self.root / target / "state.json"
        try:
            return State.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{path}: unreadable content state ({exc})") from None

    def current_generation_dir(self) -> Path | None:
        try:
            return self.root / os.readlink(self.current)
        except OSError:
            return None

    # start-up
    def recover(self) -> list[str]:
        """Delete what an interrupted install left behind; return what was removed."""
        removed: list[str] = []
        self.root.mkdir(parents=True, exist_ok=True)
        for name in os.listdir(self.root):
            if name.startswith(".") and name.endswith(".tmp") or name == "current.new":
                _rmtree(self.root / name)
                removed.append(name)
        if self.staging_dir.exists():
            for p in self.staging_dir.iterdir():
                _rmtree(p)
                removed.append(f"staging/{p.name}")
        state = self.state()
        cur = self.current_generation_dir()
        if self.views_dir.exists():
            for p in self.views_dir.iterdir():
                if cur is None or p.name != cur.name:
                    _rmtree(p)
                    removed.append(f"views/{p.name}")
        keep = {(b.id, b.dir) for b in state.bundles.values()}
        keep |= {(b.id, d) for b in state.bundles.values() for _v, d in b.previous}
        if self.store_dir.exists():
            for idir in self.store_dir.iterdir():
                for vdir in idir.iterdir() if idir.is_dir() else []:
                    if (idir.name, vdir.name) not in keep:
                        _rmtree(vdir)
                        removed.append(f"store/{idir.name}/{vdir.name}")
                if idir.is_dir() and not any(idir.iterdir()):
                    idir.rmdir()
        self.ensure_links()
        if removed:
            log.info("content: cleaned up after an interrupted install: %s", ", ".join(removed))
        return removed

    def ensure_links(self) -> None:
        """Make ``lessons``, ``exercises`` and ``voice`` point into ``current``."""
        self.root.mkdir(parents=True, exist_ok=True)
        for name in LINKED_DIRS:
            link = self.root / name
            want = f"current/{name}"
            if link.is_symlink():
                if os.readlink(link) == want:
                    continue
                link.unlink()
            elif link.exists():
                if link.is_dir() and not any(link.iterdir()):
                    link.rmdir()
                else:
                    aside = self.root / f"{name}.before-content-{uuid.uuid4().hex[:6]}"
                    os.replace(link, aside)
                    log.warning("content: moved the old %s to %s", link, aside)
            tmp = self.root / f".{name}.link.tmp"
            _rmtree(tmp)
            os.symlink(want, tmp)
            os.replace(tmp, link)

    # writing
    def new_staging(self, label: str) -> Path:
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        return self.staging_dir / f"{label}-{uuid.uuid4().hex[:8]}"

    def commit_tree(self, staged: Path, bundle_id: str, version: int) -> str:
        """Move a verified, synced staging tree into ``store/``; return its folder name."""
        name = f"{version}-{uuid.uuid4().hex[:8]}"
        dest_parent = self.store_dir / bundle_id
        dest_parent.mkdir(parents=True, exist_ok=True)
        os.rename(staged, dest_parent / name)
        fsync_dir(dest_parent)
        fsync_dir(self.store_dir)
        return name

    def switch(self, state: State) -> None:
        """Build the view for ``state`` and make it current (atomic); then delete the unused."""
        self.views_dir.mkdir(parents=True, exist_ok=True)
        view = self.views_dir / str(state.generation)
        _rmtree(view)
        view.mkdir()
        for sub in LINKED_DIRS:
            (view / sub).mkdir()
        for b in sorted(state.bundles.values(), key=lambda x: x.id):
            rel_store = Path("..", "..", "..", "store", b.id, b.dir)  # from views/<n>/<sub>/
            for lid in b.lessons:
                link = view / "lessons" / lid
                if not link.exists():
                    os.symlink(rel_store / "lessons" / lid, link)
            for name in b.exercises:
                link = view / "exercises" / f"{name}.toml"
                if not link.exists():
                    os.symlink(rel_store / "exercises" / f"{name}.toml", link)
            for clip in b.voice:
                lang, key = clip.split("/", 1)
                (view / "voice" / lang).mkdir(exist_ok=True)
                link = view / "voice" / lang / key
                if not link.exists():
                    os.symlink(Path("..") / rel_store / "voice" / lang / key, link)
        atomic_write(view / "state.json", (json.dumps(state.to_json(), ensure_ascii=False, indent=1) + "\n").encode())
        sync_tree(view)
        fsync_dir(self.views_dir)
        tmp = self.root / "current.new"
        _rmtree(tmp)
        os.symlink(f"views/{state.generation}", tmp)
        os.replace(tmp, self.current)  # the switch
        fsync_dir(self.root)
        self.ensure_links()
        self.recover()

    def next_generation(self) -> int:
        gen = self.state().generation
        if self.views_dir.exists():
            for p in self.views_dir.iterdir():
                if p.name.isdigit():
                    gen = max(gen, int(p.name))
        return gen + 1
