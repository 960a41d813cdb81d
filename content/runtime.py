"""Content while the kiosk runs: recovery at start, the network check, the USB watcher, status.

Why this module exists: the app needs one object to start and stop, ask for
status rows, the heartbeat's versions and the folders to read installed
exercises and voice clips from, without learning how content works and
without Kivy. The kiosk wraps it in a thin service adapter
(``kiosk/services``) that turns ``StatusLine`` into its ``StatusRow`` and
passes a ``post`` that runs callbacks on the UI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from content.service import ContentService, NetworkChecker, SourceResult
from content.settings import ContentSection, repository_url, trusted_root_path
from content.status import ContentStatus, StatusLine
from content.store import ContentStore
from content.usb import Stick, UsbWatcher

log = logging.getLogger(__name__)

Post = Callable[[Callable[[], None]], None]


def _inline(fn: Callable[[], None]) -> None:
    fn()


class ContentRuntime:
    def __init__(self, section: ContentSection, content_dir: Path, server_url: str, app_version: str,
                 post: Post = _inline, on_sticks: Callable[[list[Stick]], None] | None = None,
                 on_result: Callable[[SourceResult], None] | None = None, usb: bool = True):
        self.section = section
        self.content_dir = Path(content_dir)
        self.post = post
        self.on_sticks = on_sticks
        self.on_result = on_result
        self.service = ContentService(
            self.content_dir, trusted_root_path(section, self.content_dir), app_version,
            repository_url=repository_url(section, server_url),
            download_timeout_s=section.download_timeout_s)
        self.checker: NetworkChecker | None = None
        self.watcher: UsbWatcher | None = None
        self._usb = usb

    # folders the rest of the app reads (the same as DataLayout.exercises / .voice)
    @property
    def exercises_dir(self) -> Path:
        return self.content_dir / "exercises"

    @property
    def voice_dir(self) -> Path:
        return self.content_dir / "voice"

    @property
    def lessons_dir(self) -> Path:
        return self.content_dir / "lessons"

    def start(self) -> None:
        self.service.start()
        if self.service.repository_url and self.section.auto_install:
            self.checker = NetworkChecker(self.service, self.section.check_interval_s,
                                          on_result=self._result)
            self.checker.start()
        if self._usb:
            self.watcher = UsbWatcher(self.section.usb_mount_roots, self._sticks,
                                      poll_s=self.section.usb_poll_s)
            self.watcher.start()

    def stop(self) -> None:
        if self.checker is not None:
            self.checker.stop()
            self.checker = None
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None

    def _sticks(self, sticks: list[Stick]) -> None:
        if self.on_sticks is not None:
            cb = self.on_sticks
            self.post(lambda: cb(sticks))

    def _result(self, result: SourceResult) -> None:
        if self.on_result is not None:
            cb = self.on_result
            self.post(lambda: cb(result))

    def status(self) -> ContentStatus:
        return self.service.status()

    def status_lines(self) -> list[StatusLine]:
        lines = self.status().lines()
        if not self.service.trusted_root.is_file():
            lines.insert(0, StatusLine("warning", "trusted root",
                                       f"{self.service.trusted_root} missing: no bundle can be verified"))
        if self.watcher is not None:
            sticks = ", ".join(str(s.mount) for s in self.watcher.sticks) or "none"
            lines.append(StatusLine("ok", "usb", f"{self.watcher.mode}; sticks with content: {sticks}"))
        return lines

    def heartbeat(self) -> dict[str, int]:
        return self.status().heartbeat()


def doctor_check(content_dir: Path) -> tuple[str, str]:
    """(``ok``/``warn``/``fail``, detail) for ``kiosk doctor``: installed bundles and the last problem."""
    st = ContentStatus.load(ContentStore(content_dir))
    if st.error:
        return "fail", st.error
    if not st.installed:
        return "warn", "no content bundle installed"
    detail = ", ".join(f"{b.id} v{b.version}" for b in st.installed)
    if st.failures:
        f = st.failures[-1]
        return "warn", f"{detail}; last failed install {f.time}: {f.reason}"
    if st.last_check is not None:
        detail += f"; last check {st.last_check.time}: {st.last_check.message}"
    return "ok", detail
