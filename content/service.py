"""Content on a kiosk as one Kivy-free object: list, check, install, roll back, status.

Why this module exists: the CLI (``kiosk content ...``), the app's periodic
network check, the USB watcher and the maintainer page all do the same few
things; ``ContentService`` does them once. Sources: a repository folder (a
USB stick written by ``kiosk-server content export-usb``, or any folder with
``metadata/`` and ``targets/``), the network repository, or a bundle file
that sits in such a folder. Every bundle, whatever its source, is verified by
the same TUF metadata and installed by the same pipeline (``Installer``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from content.bundle import DEFAULT_LIMITS, Limits
from content.download import DownloadError, download_resumable
from content.installer import Installer, InstallError, InstallReport, PhaseProgress
from content.manifest import app_version_ok
from content.status import ContentStatus, record_check, record_failure
from content.store import ContentStore
from content.trust import (
    Clock,
    NetworkSource,
    Source,
    StickSource,
    TrustedRepository,
    TrustError,
    utcnow,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Available:
    """A bundle offered by a source, compared with what is installed."""

    bundle_id: str
    version: int
    title: dict[str, str]
    path: str
    size: int
    installed: int | None
    action: str
    """``install``, ``update``, ``up to date``, ``newer installed``, ``held`` (rolled back), ``needs app X``."""

    @property
    def wanted(self) -> bool:
        return self.action in ("install", "update")


@dataclass
class SourceResult:
    source: str
    reports: list[InstallReport]
    errors: list[str]
    available: list[Available]

    @property
    def ok(self) -> bool:
        return not self.errors


class ContentService:
    def __init__(self, content_dir: Path, trusted_root: Path, app_version: str,
                 repository_url: str | None = None, clock: Clock = utcnow,
                 limits: Limits = DEFAULT_LIMITS, builtin_exercises: set[str] | None = None,
                 download_timeout_s: float = 30.0):
        self.store = ContentStore(content_dir)
        self.trusted_root = Path(trusted_root)
        self.app_version = app_version
        self.repository_url = repository_url
        self.clock = clock
        self.installer = Installer(self.store, app_version, limits, builtin_exercises)
        self.download_timeout_s = download_timeout_s
        self._lock = threading.Lock()

    # -- start-up and status --------------------------------------------------------
    def start(self) -> list[str]:
        """Run at every start: clean up after an interrupted install."""
        try:
            with self.store.lock():
                return self.store.recover()
        except Exception as exc:  # never stop the kiosk over leftovers; status shows it
            log.error("content: recovery failed: %s", exc)
            return []

    def status(self) -> ContentStatus:
        return ContentStatus.load(self.store)

    # -- sources -----------------------------------------------------------------------
    def trusted(self, source: Source) -> TrustedRepository:
        t = TrustedRepository(self.store.trust_dir, self.trusted_root, source, self.clock)
        t.refresh()
        return t

    def network_source(self) -> NetworkSource:
        if not self.repository_url:
            raise TrustError("no content repository URL configured ([content] repository_url)")
        return NetworkSource(self.repository_url, self.download_timeout_s)

    def available(self, trusted: TrustedRepository) -> list[Available]:
        index = trusted.index()
        state = self.store.state()
        out: list[Available] = []
        for bid, e in sorted(index["bundles"].items()):
            try:
                version, path, size = int(e["version"]), str(e["path"]), int(e.get("size", 0))
                title = {k: str(v) for k, v in dict(e.get("title", {})).items()}
                mav = str(e.get("min_app_version", "0"))
            except (KeyError, TypeError, ValueError):
                continue
            cur = state.bundles.get(bid)
            installed = cur.version if cur else None
            if not app_version_ok(mav, self.app_version):
                action = f"needs app {mav}"
            elif cur is None:
                action = "install"
            elif version > cur.version:
                action = "held" if cur.rolled_back_from and version <= cur.rolled_back_from else "update"
            elif version == cur.version:
                action = "up to date"
            else:
                action = "newer installed"
            out.append(Available(bid, version, title, path, size, installed, action))
        return out

    def _fetch(self, trusted: TrustedRepository, path: str,
               progress: PhaseProgress | None) -> Path:
        """The bundle file for target ``path``: on the stick, or downloaded (resumable)."""
        info = trusted.targetinfo(path)
        src = trusted.source
        if isinstance(src, StickSource):
            local = src.local_target(path)
            if not local.is_file():
                raise TrustError(f"{path}: listed in the signed metadata but not on the stick")
            return local
        digest = info.hashes.get("sha256", "nohash")[:16]
        partial = self.store.downloads_dir / f"{digest}-{path.rsplit('/', 1)[-1]}.partial"

        def dl(done: int, total: int) -> None:
            if progress:
                progress("download", done, total)

        download_resumable(src.targets_url() + path, partial, info.length,
                           timeout_s=(5.0, self.download_timeout_s), progress=dl)
        return partial

    def install_from(self, source: Source, bundle_ids: list[str] | None = None,
                     progress: PhaseProgress | None = None, force: bool = False,
                     on_report: Callable[[InstallReport], None] | None = None) -> SourceResult:
        """Refresh from ``source`` and install the bundles it offers that are newer (or ``bundle_ids``)."""
        with self._lock:
            result = SourceResult(source.name, [], [], [])
            try:
                trusted = self.trusted(source)
                result.available = self.available(trusted)
            except TrustError as exc:
                result.errors.append(str(exc))
                record_check(self.store, source.name, False, str(exc))
                record_failure(self.store, source.name, "", str(exc))
                return result
            known = {a.bundle_id for a in result.available}
            for bid in bundle_ids or []:
                if bid not in known:
                    result.errors.append(f"{bid}: not offered by {source.name}")
            for a in result.available:
                if bundle_ids is not None and a.bundle_id not in bundle_ids:
                    continue
                if not (a.wanted or (force and bundle_ids is not None and a.action in ("held", "up to date"))):
                    continue
                try:
                    info = trusted.targetinfo(a.path)
                    path = self._fetch(trusted, a.path, progress)
                    report = self.installer.install(path, info, trusted, source.name, progress,
                                                    allow_reinstall=force)
                except (InstallError, TrustError, DownloadError) as exc:
                    result.errors.append(str(exc))
                    if isinstance(exc, TrustError | DownloadError):
                        record_failure(self.store, source.name, a.bundle_id, str(exc))
                    continue
                if not isinstance(source, StickSource):
                    path.unlink(missing_ok=True)
                result.reports.append(report)
                if on_report:
                    on_report(report)
            msg = (f"{len(result.reports)} installed, {len(result.errors)} failed"
                   if result.reports or result.errors else "up to date")
            record_check(self.store, source.name, not result.errors, msg)
            return result

    def check_network(self, progress: PhaseProgress | None = None) -> SourceResult:
        try:
            src = self.network_source()
        except TrustError as exc:
            return SourceResult(self.repository_url or "-", [], [str(exc)], [])
        return self.install_from(src, None, progress)

    def install_path(self, path: Path, progress: PhaseProgress | None = None,
                     force: bool = False) -> SourceResult:
        """Install from a repository folder (a stick), or the one bundle file given."""
        path = Path(path)
        if not path.exists():
            return SourceResult(str(path), [], [f"{path}: no such file or folder"], [])
        src = StickSource.find(path)
        if src is None:
            return SourceResult(str(path), [], [
                f"{path}: no signed metadata found (a bundle must come with the metadata/ folder "
                "that `kiosk-server content export-usb` writes)"], [])
        if path.is_file():
            try:
                trusted = self.trusted(src)
                info = trusted.find_bundle_target(path.name)
            except TrustError as exc:
                record_check(self.store, src.name, False, str(exc))
                return SourceResult(src.name, [], [str(exc)], [])
            entry = info.unrecognized_fields.get("custom", {}).get("bundle", {})
            bid = entry.get("id") if isinstance(entry, dict) else None
            if not isinstance(bid, str):
                return SourceResult(src.name, [], [f"{path.name}: not a bundle target"], [])
            try:
                report = self.installer.install(path, info, trusted, src.name, progress, allow_reinstall=force)
            except InstallError as exc:
                return SourceResult(src.name, [], [str(exc)], [])
            return SourceResult(src.name, [report], [], [])
        return self.install_from(src, None, progress, force)

    def install_id(self, bundle_id: str, progress: PhaseProgress | None = None,
                   force: bool = False) -> SourceResult:
        try:
            src = self.network_source()
        except TrustError as exc:
            return SourceResult("-", [], [str(exc)], [])
        return self.install_from(src, [bundle_id], progress, force)

    def verify_file(self, path: Path) -> tuple[list[str], list[str]]:
        """Verify a bundle file against the metadata next to it, installing nothing: (lines, errors)."""
        from content.bundle import BundleError, open_bundle

        path = Path(path)
        src = StickSource.find(path)
        if src is None:
            return [], [f"{path}: no signed metadata found next to it"]
        try:
            trusted = TrustedRepository(self.store.trust_dir / "verify-only", self.trusted_root, src, self.clock)
            trusted.refresh()
            info = trusted.find_bundle_target(path.name)
            trusted.verify_file(info, path)
            with open_bundle(path, self.installer.limits) as reader:
                reader.verify(self.installer.limits)
                m = reader.manifest
        except (TrustError, BundleError) as exc:
            return [], [f"{path.name}: {exc}"]
        lines = [f"{m.id} version {m.version}: signature ok, {len(m.files)} files ok "
                 f"({m.total_size / 1e6:.1f} MB)",
                 f"  lessons: {', '.join(m.lessons) or '-'}",
                 f"  exercises: {', '.join(m.exercises) or '-'}",
                 f"  voice: {', '.join(m.voice) or '-'}"]
        if not app_version_ok(m.min_app_version, self.app_version):
            return lines, [f"{path.name}: needs app version {m.min_app_version} (this kiosk runs {self.app_version})"]
        return lines, []

    def rollback(self, bundle_id: str) -> InstallReport:
        return self.installer.rollback(bundle_id)


class NetworkChecker:
    """Checks the network repository every ``interval_s`` on a daemon thread (Kivy-free)."""

    def __init__(self, service: ContentService, interval_s: float,
                 on_result: Callable[[SourceResult], None] | None = None):
        self.service = service
        self.interval_s = interval_s
        self.on_result = on_result
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last: SourceResult | None = None
        self.last_time: datetime | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="content-check", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def check_now(self) -> SourceResult:
        result = self.service.check_network()
        self.last, self.last_time = result, utcnow()
        if self.on_result:
            self.on_result(result)
        return result

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check_now()
            except Exception as exc:  # a check must never kill the thread
                log.error("content: network check failed: %s", exc)
            self._stop.wait(self.interval_s)


def describe(result: SourceResult) -> dict[str, Any]:
    return {
        "source": result.source,
        "installed": [r.to_json() for r in result.reports],
        "errors": result.errors,
        "available": [a.__dict__ for a in result.available],
    }
