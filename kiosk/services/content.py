"""The content service: lessons, exercises and voice clips from signed bundles, for the app.

Why this module exists: the app needs one Kivy-free object for everything
content does while the kiosk runs — recovery after a power cut, the periodic
network check and the USB watcher (``content.runtime.ContentRuntime``), the
status page's rows, the installed versions for the heartbeat, the lessons the
lessons screen shows, and the maintainer's USB flow (what is on a stick,
installing it with progress) — without any screen learning how content works.
Slow work (reading a stick's signed metadata, installing) runs on the
service's own thread; results and progress reach the UI thread through
``post``. Listeners hear about new sticks and about installed content changing
(the vision service then reloads its exercises; the lessons screen its lessons).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from content.installer import InstallReport
from content.lessons import Lesson, load_lessons
from content.manifest import Manifest, ManifestError, parse_manifest
from content.runtime import ContentRuntime
from content.service import Available, SourceResult
from content.store import ContentStore, StoreError
from content.trust import TrustError
from content.usb import Stick
from kiosk import __version__
from kiosk.config import Config, DataLayout
from kiosk.services.base import Post, StatusRow, post_inline

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.05
"""Install progress reaches the UI thread at most this often (the last one always does)."""


@dataclass(frozen=True)
class Offer:
    """What a stick offers, compared with what is installed (or why it cannot be read)."""

    stick: Stick
    available: list[Available]
    error: str = ""

    @property
    def wanted(self) -> list[Available]:
        return [a for a in self.available if a.wanted]


class ContentService:
    name = "content"

    def __init__(self, cfg: Config, layout: DataLayout, post: Post = post_inline,
                 usb: bool = True, app_version: str = __version__) -> None:
        self.layout = layout
        self.post = post
        self.runtime = ContentRuntime(cfg.content, layout.content, cfg.sync.server_url,
                                      app_version, post=post, on_sticks=self._on_sticks,
                                      on_result=self._on_network_result, usb=usb)
        self.sticks: list[Stick] = []
        """USB sticks with content, as last seen (UI thread)."""
        self._stick_listeners: list[Callable[[list[Stick]], None]] = []
        self._change_listeners: list[Callable[[], None]] = []
        self._worker: ThreadPoolExecutor | None = None
        self._busy = threading.Event()

    # -- Service protocol ---------------------------------------------------------------
    def start(self) -> None:
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="content")
        self.runtime.start()

    def stop(self) -> None:
        self.runtime.stop()
        if self._worker is not None:
            # an install cut short is safe (the old content stays active; the next start
            # cleans up), so do not keep the kiosk from stopping
            self._worker.shutdown(wait=False, cancel_futures=True)
            self._worker = None

    def status(self) -> list[StatusRow]:
        rows = [StatusRow("content", line.name, line.state, line.detail, dict(line.extra))
                for line in self.runtime.status_lines()]
        if self._busy.is_set():
            rows.append(StatusRow("content", "install", "ok", "installing now"))
        return rows

    # -- what other parts read ---------------------------------------------------------------
    def installed_versions(self) -> dict[str, int]:
        """Installed bundles and their versions (the heartbeat reports them)."""
        return self.runtime.heartbeat()

    @property
    def store(self) -> ContentStore:
        return self.runtime.service.store

    def version_key(self) -> str:
        """Changes whenever the installed content changes (the view ``current`` names)."""
        try:
            return os.readlink(self.store.current)
        except OSError:
            return ""

    def lessons(self, known_exercises: set[str] | None = None) -> tuple[list[Lesson], list[str]]:
        """The installed lessons (sorted by topic) and the problems of any that cannot be read."""
        return load_lessons(self.runtime.lessons_dir, known_exercises)

    def lesson_bundles(self) -> dict[str, tuple[str, int]]:
        """Lesson id -> (bundle id, version) of the bundle that installed it."""
        try:
            bundles = self.store.state().bundles.values()
        except StoreError as exc:
            log.warning("content: %s", exc)
            return {}
        return {lid: (b.id, b.version) for b in bundles for lid in b.lessons}

    def installed_manifest(self, bundle_id: str) -> Manifest | None:
        """The manifest of the installed version of ``bundle_id`` (for a per-file report)."""
        try:
            b = self.store.state().bundles.get(bundle_id)
            if b is None:
                return None
            return parse_manifest((self.store.bundle_dir(b) / "manifest.json").read_bytes())
        except (StoreError, OSError, ManifestError) as exc:
            log.warning("content: manifest of %s unreadable: %s", bundle_id, exc)
            return None

    # -- listeners (called on the UI thread) ---------------------------------------------
    def watch_sticks(self, callback: Callable[[list[Stick]], None]) -> None:
        self._stick_listeners.append(callback)

    def watch_changes(self, callback: Callable[[], None]) -> None:
        """``callback()`` after installed content changed (an install from any source)."""
        self._change_listeners.append(callback)

    def _on_sticks(self, sticks: list[Stick]) -> None:
        self.sticks = list(sticks)
        log.info("content: USB sticks with content: %s",
                 ", ".join(str(s.mount) for s in sticks) or "none")
        for cb in list(self._stick_listeners):
            try:
                cb(self.sticks)
            except Exception:  # a listener's bug must not stop the others
                log.exception("content: stick listener failed")

    def _on_network_result(self, result: SourceResult) -> None:
        if result.reports:
            self._changed()

    def _changed(self) -> None:
        for cb in list(self._change_listeners):
            try:
                cb()
            except Exception:
                log.exception("content: change listener failed")

    # -- the maintainer's USB flow -----------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._busy.is_set()

    def _submit(self, job: Callable[[], None]) -> Future[None]:
        if self._worker is None:
            raise RuntimeError("the content service is not started")
        return self._worker.submit(job)

    def read_stick(self, stick: Stick, on_done: Callable[[Offer], None]) -> Future[None]:
        """Verify the stick's signed metadata and list what it offers; ``on_done`` on the UI thread."""
        svc = self.runtime.service

        def job() -> None:
            try:
                offer = Offer(stick, svc.available(svc.trusted(stick.source)))
            except TrustError as exc:
                offer = Offer(stick, [], str(exc))
            except Exception as exc:  # noqa: BLE001 - said on the maintainer's screen
                log.exception("content: reading %s failed", stick.mount)
                offer = Offer(stick, [], f"{type(exc).__name__}: {exc}")
            self.post(lambda: on_done(offer))

        return self._submit(job)

    def install_stick(self, stick: Stick, on_progress: Callable[[str, int, int], None],
                      on_done: Callable[[SourceResult], None],
                      bundle_ids: list[str] | None = None) -> Future[None]:
        """Install what the stick offers (newer bundles, or ``bundle_ids``) through the one
        pipeline. ``on_progress(phase, done, total)`` and ``on_done(result)`` run on the UI
        thread; progress is thinned to one call per ``PROGRESS_EVERY_S`` (phase changes and
        the last call of a phase always pass)."""
        svc = self.runtime.service
        last_time = [0.0]
        last_phase = [""]

        def progress(phase: str, done: int, total: int) -> None:
            now = time.monotonic()
            if phase == last_phase[0] and now - last_time[0] < PROGRESS_EVERY_S and done < total:
                return
            last_time[0], last_phase[0] = now, phase
            self.post(lambda: on_progress(phase, done, total))

        def job() -> None:
            self._busy.set()
            try:
                result = svc.install_from(stick.source, bundle_ids, progress)
            except Exception as exc:  # noqa: BLE001 - the pipeline raises nothing; be sure
                log.exception("content: install from %s failed", stick.mount)
                result = SourceResult(stick.source.name, [], [f"{type(exc).__name__}: {exc}"], [])
            finally:
                self._busy.clear()

            def done() -> None:
                if result.reports:
                    self._changed()
                on_done(result)

            self.post(done)

        return self._submit(job)


def report_lines(report: InstallReport, manifest: Manifest | None) -> list[tuple[str, str, str]]:
    """A per-file install report: ``(state, path, detail)`` with state ``ok`` or ``skipped``.

    Every file of the bundle is listed with its size (each one's size and SHA-256 were
    checked while it was extracted); the files of a skipped lesson, exercise or voice clip
    say why it was skipped."""
    skipped = {s.path: s.reason for s in report.skipped}
    skipped_dirs = {p.rsplit("/", 1)[0] + "/": r for p, r in skipped.items()
                    if p.startswith("lessons/") and p.endswith("/lesson.json")}
    rows: list[tuple[str, str, str]] = []
    files = manifest.files if manifest is not None else ()
    for f in files:
        reason = skipped.get(f.path) or next(
            (r for d, r in skipped_dirs.items() if f.path.startswith(d)), None)
        size = (f"{f.size / 1e6:.1f} MB" if f.size >= 100_000 else
                f"{f.size / 1e3:.0f} KB" if f.size >= 1000 else f"{f.size} B")
        rows.append(("skipped", f.path, reason) if reason else ("ok", f.path, size))
    listed = {f.path for f in files}
    rows += [("skipped", p, r) for p, r in skipped.items() if p not in listed]
    return rows
