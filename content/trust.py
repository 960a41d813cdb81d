"""Kiosk-side trust: python-tuf's ngclient verifies the repository's metadata.

Why this module exists: a bundle is installed only if TUF says so. The kiosk
starts from the root named in its config, keeps the metadata it has verified
in ``<data dir>/content/trust/`` (so a version it has seen never goes back),
and refreshes from one of two sources with the same code: the network
(``NetworkSource``, the repository's base URL, any static file server) or a
USB stick (``StickSource``, a folder written by ``kiosk-server content
export-usb``, read through ``StickFetcher``). Rollback, freeze,
mix-and-match, key rotation and signature thresholds are python-tuf's job;
this module turns its exceptions into one-line messages (``TrustError``).

The clock: ngclient compares expiry with the time it reads when a client is
made. ``TrustedRepository`` takes a ``clock`` so tests (and a kiosk that knows
its clock is wrong) can set the reference time; see ``_set_reference_time``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from tuf.api import exceptions as tuf_exc
from tuf.api.metadata import TargetFile
from tuf.ngclient import Updater, UpdaterConfig
from tuf.ngclient.fetcher import FetcherInterface

from content.repository import INDEX_PATH, STICK_DIR

Clock = Callable[[], datetime]
MAX_INDEX_BYTES = 4 * 1024 * 1024
CHUNK = 1024 * 1024


def utcnow() -> datetime:
    return datetime.now(UTC)


class TrustError(Exception):
    """Metadata or a target failed verification (or could not be fetched); one-line message."""


def describe_tuf_error(exc: BaseException) -> str:
    """A one-line message for a python-tuf exception, naming the kind of problem."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, tuf_exc.ExpiredMetadataError):
        return f"signed metadata has expired ({text}); ask for a fresh stick or repository"
    if isinstance(exc, tuf_exc.EqualVersionNumberError):
        return f"metadata version did not change ({text})"
    if isinstance(exc, tuf_exc.BadVersionNumberError):
        return f"rollback refused: the metadata is older than what this kiosk has already seen ({text})"
    if isinstance(exc, tuf_exc.UnsignedMetadataError):
        return f"signature check failed: not enough valid signatures from trusted keys ({text})"
    if isinstance(exc, tuf_exc.LengthOrHashMismatchError):
        return f"file does not match the signed metadata ({text})"
    if isinstance(exc, tuf_exc.DownloadHTTPError):
        return f"repository answered HTTP {exc.status_code} ({text})"
    if isinstance(exc, tuf_exc.DownloadError):
        return f"cannot download from the repository ({text})"
    if isinstance(exc, tuf_exc.RepositoryError):
        return f"metadata refused ({text})"
    if isinstance(exc, OSError):
        return f"cannot read or write metadata ({exc.strerror or text})"
    return f"{type(exc).__name__}: {text}"


# -- sources ------------------------------------------------------------------------


class StickFetcher(FetcherInterface):
    """Reads ``file://`` URLs below one folder (a USB stick); anything else is a 404."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    def path_for(self, url: str) -> Path:
        parsed = urlparse(url)
        if parsed.scheme != "file":
            raise tuf_exc.DownloadHTTPError(f"not a file URL: {url}", 404)
        path = Path(unquote(parsed.path)).resolve()
        if path != self.root and self.root not in path.parents:
            raise tuf_exc.DownloadHTTPError(f"outside the stick: {url}", 404)
        return path

    def _fetch(self, url: str) -> Iterator[bytes]:
        path = self.path_for(url)
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed by the generator
        except FileNotFoundError:
            raise tuf_exc.DownloadHTTPError(f"{path.name} is not on the stick", 404) from None
        except OSError as exc:
            raise tuf_exc.DownloadError(f"cannot read {path}: {exc.strerror}") from None
        return _chunks(f)


def _chunks(f: Any) -> Iterator[bytes]:
    with f:
        while chunk := f.read(CHUNK):
            yield chunk


@dataclass(frozen=True)
class NetworkSource:
    """A repository on a web server: ``<base_url>/metadata/`` and ``<base_url>/targets/``."""

    base_url: str
    timeout_s: float = 30.0

    @property
    def name(self) -> str:
        return self.base_url

    def metadata_url(self) -> str:
        return self.base_url.rstrip("/") + "/metadata/"

    def targets_url(self) -> str:
        return self.base_url.rstrip("/") + "/targets/"

    def fetcher(self) -> FetcherInterface | None:
        from tuf.ngclient import Urllib3Fetcher

        return Urllib3Fetcher(socket_timeout=max(1, int(self.timeout_s)),
                              app_user_agent="community-kiosk")


@dataclass(frozen=True)
class StickSource:
    """A repository copied onto a stick: ``<folder>/metadata/`` and ``<folder>/targets/``."""

    folder: Path

    @classmethod
    def find(cls, path: Path) -> StickSource | None:
        """The repository at ``path``, ``path/community-kiosk-content``, or above a bundle file in it."""
        path = Path(path).resolve()
        candidates = [path, path / STICK_DIR] + list(path.parents)[:4]
        for c in candidates:
            if (c / "metadata" / "root.json").is_file() or (c / "metadata" / "1.root.json").is_file():
                return cls(c)
        return None

    @property
    def name(self) -> str:
        return str(self.folder)

    def metadata_url(self) -> str:
        return (self.folder / "metadata").resolve().as_uri() + "/"

    def targets_url(self) -> str:
        return (self.folder / "targets").resolve().as_uri() + "/"

    def fetcher(self) -> FetcherInterface | None:
        return StickFetcher(self.folder)

    def local_target(self, path: str) -> Path:
        return self.folder / "targets" / path


Source = NetworkSource | StickSource


# -- the verified view --------------------------------------------------------------


def _set_reference_time(updater: Updater, now: datetime) -> None:
    """Set the time ngclient checks expiry against (it reads the wall clock otherwise).

    ngclient keeps it as ``reference_time`` on its trusted metadata set; there
    is no public setter in python-tuf 6. ``tests/content/test_trust.py``
    fails loudly if a python-tuf upgrade moves it.
    """
    trusted_set = updater._trusted_set
    if not hasattr(trusted_set, "reference_time"):
        raise RuntimeError("python-tuf no longer has TrustedMetadataSet.reference_time")
    trusted_set.reference_time = now


class TrustedRepository:
    """One refresh of the repository's metadata from ``source``, then verified look-ups."""

    def __init__(self, trust_dir: Path, trusted_root: Path, source: Source, clock: Clock = utcnow):
        self.trust_dir = Path(trust_dir)
        self.trusted_root = Path(trusted_root)
        self.source = source
        self.clock = clock
        self._updater: Updater | None = None

    def refresh(self) -> None:
        """Verify root, timestamp, snapshot and targets; raise ``TrustError``."""
        try:
            root_bytes = self.trusted_root.read_bytes()
        except OSError as exc:
            raise TrustError(
                f"trusted root {self.trusted_root} cannot be read ({exc.strerror}); "
                "set [content] trusted_root in the kiosk config") from None
        self.trust_dir.mkdir(parents=True, exist_ok=True)
        try:
            updater = Updater(
                metadata_dir=str(self.trust_dir),
                metadata_base_url=self.source.metadata_url(),
                target_base_url=self.source.targets_url(),
                target_dir=None,
                fetcher=self.source.fetcher(),
                config=UpdaterConfig(max_root_rotations=64),
                bootstrap=root_bytes,
            )
            _set_reference_time(updater, self.clock())
            updater.refresh()
        except (tuf_exc.RepositoryError, tuf_exc.DownloadError, OSError, ValueError) as exc:
            raise TrustError(f"{self.source.name}: {describe_tuf_error(exc)}") from None
        self._updater = updater

    @property
    def updater(self) -> Updater:
        if self._updater is None:
            self.refresh()
        assert self._updater is not None
        return self._updater

    def targetinfo(self, path: str) -> TargetFile:
        try:
            info = self.updater.get_targetinfo(path)
        except (tuf_exc.RepositoryError, tuf_exc.DownloadError, OSError) as exc:
            raise TrustError(f"{self.source.name}: {describe_tuf_error(exc)}") from None
        if info is None:
            raise TrustError(f"{path}: not in the signed metadata of {self.source.name}")
        return info

    def index(self) -> dict[str, Any]:
        """The verified ``index.json``: the newest version of each bundle."""
        info = self.targetinfo(INDEX_PATH)
        if info.length > MAX_INDEX_BYTES:
            raise TrustError(f"{INDEX_PATH}: larger than {MAX_INDEX_BYTES} bytes")
        with tempfile.TemporaryDirectory(dir=self.trust_dir) as tmp:
            try:
                path = self.updater.download_target(info, filepath=os.path.join(tmp, "index.json"))
            except (tuf_exc.RepositoryError, tuf_exc.DownloadError, OSError) as exc:
                raise TrustError(f"{INDEX_PATH}: {describe_tuf_error(exc)}") from None
            try:
                data = json.loads(Path(path).read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise TrustError(f"{INDEX_PATH}: not valid JSON ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("bundles"), dict):
            raise TrustError(f"{INDEX_PATH}: no 'bundles' object")
        return data

    def verify_file(self, info: TargetFile, path: Path) -> None:
        """Check a local file's length and SHA-256 against the signed target info (streamed in
        1 MiB chunks; python-tuf's own check reads 4 KiB at a time)."""
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise TrustError(f"{path}: cannot read ({exc.strerror})") from None
        if size != info.length:
            raise TrustError(
                f"{info.path}: {size} bytes, the signed metadata says {info.length} "
                "(truncated or modified)")
        expected = info.hashes.get("sha256")
        if not expected:
            raise TrustError(f"{info.path}: the signed metadata has no sha256 hash")
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
        if not hmac.compare_digest(h.hexdigest(), expected):
            raise TrustError(
                f"{info.path}: does not match the signed metadata (SHA-256 {h.hexdigest()[:16]}..., "
                f"signed {expected[:16]}...): modified or damaged")

    def find_bundle_target(self, file_name: str) -> TargetFile:
        """The signed target whose file name is ``file_name`` (a bundle given by path)."""
        index = self.index()
        for entry in index["bundles"].values():
            rel = str(entry.get("path", ""))
            if rel.rsplit("/", 1)[-1] == file_name:
                return self.targetinfo(rel)
        # an older version still listed in the targets metadata
        bid, _, rest = file_name.rpartition("-")
        if bid and rest.endswith(".zip"):
            return self.targetinfo(f"bundles/{bid}/{file_name}")
        raise TrustError(f"{file_name}: not a bundle named in the signed metadata")
