"""The vision service: camera status for the maintainer page, and coaches for the screen.

Why this module exists: the app needs one Kivy-free place that knows the
config's ``[camera]`` and ``[vision]`` sections, finds the camera (``auto`` =
a camera if one is present, else the simulated person), keeps one pose
worker process for all sessions (started lazily on the first session that
needs the model, so the kiosk starts fast), and builds ``LiveEngine`` objects
for the coaching screen via ``make_live(spec, target, on_update)``. Its
``status()`` rows tell the maintainer whether the camera was found, lost and
reopened, or simulated, and how the pose worker is doing. Outside opening
hours ``close_camera`` stops the source and the worker and refuses new
sessions until ``open_camera`` (``kiosk/system/opening.py``).

Exercises are the built-in ones plus those installed from content bundles
(``DataLayout.exercises``), or plus ``[vision] exercises_dir`` when the config
names one; ``reload_exercises()`` reads them again after an install.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.config import Config, DataLayout
from kiosk.services.base import Post, State, StatusRow, post_inline

if TYPE_CHECKING:
    from vision.engine import EngineUpdate
    from vision.exercises import ExerciseSpec
    from vision.live import LiveEngine
    from vision.worker import PoseWorker

log = logging.getLogger(__name__)


class VisionService:
    name = "vision"

    def __init__(self, cfg: Config, post: Post = post_inline,
                 layout: DataLayout | None = None) -> None:
        self.cfg = cfg
        self.post = post
        self.layout = layout
        self._worker: PoseWorker | None = None
        self._lock = threading.Lock()
        self._live: LiveEngine | None = None
        self._exercises: dict[str, ExerciseSpec] | None = None
        self._errors: list[str] = []
        self.closed = False
        """Outside opening hours: no source, no pose worker, no new session."""

    # -- Service protocol ----------------------------------------------------------------
    def start(self) -> None:
        """Nothing heavy here: exercises load now, the model on first use."""
        self.exercises()

    def stop(self) -> None:
        with self._lock:
            live, self._live = self._live, None
            worker, self._worker = self._worker, None
        if live is not None:
            live.stop()
        if worker is not None:
            worker.stop()

    def close_camera(self) -> None:
        """Stop any running source and the pose worker; no session starts until ``open_camera``."""
        self.closed = True
        self.stop()
        log.info("camera closed (outside opening hours)")

    def open_camera(self) -> None:
        if self.closed:
            log.info("camera open again")
        self.closed = False

    def status(self) -> list[StatusRow]:
        if self.closed:
            return [StatusRow("camera", self.cfg.camera.source, "ok",
                              "closed outside opening hours"),
                    StatusRow("vision", "pose worker", "ok", "stopped outside opening hours")]
        rows: list[StatusRow] = []
        src = self.cfg.camera.source
        resolved = self.resolve_source()
        live = self._live
        if resolved == "sim":
            why = "no camera found" if src == "auto" else "configured"
            rows.append(StatusRow("camera", "simulated person", "warning" if src == "auto" else "ok",
                                  f"simulated ({why})"))
        elif resolved.isdigit() or resolved.startswith("/dev/"):
            present = resolved.isdigit() or Path(resolved).exists()
            state: State = "ok" if present else "error"
            detail = "found" if present else "not found"
            extra: dict[str, str] = {}
            if live is not None and live.source_spec == resolved:
                st = live.status()
                if st.source == "lost":
                    state, detail = "warning", "lost; reopening"
                elif st.source == "ok":
                    state, detail = "ok", "streaming"
                n = st.reopened
                if n:
                    detail += f", reopened {n}x"
                    extra["reopened"] = str(n)
                extra["fps"] = f"{st.fps:.0f}"
            rows.append(StatusRow("camera", resolved, state, detail, extra))
        else:
            ok = Path(resolved).expanduser().is_file()
            rows.append(StatusRow("camera", resolved, "ok" if ok else "error",
                                  "video file" if ok else "video file not found"))
        w = self._worker
        if w is None:
            rows.append(StatusRow("vision", "pose worker", "ok", "not started (starts with the first session)"))
        elif w.alive():
            rows.append(StatusRow("vision", "pose worker", "ok",
                                  f"running, pid {w.pid}, {w.peak_rss_mb():.0f} MB peak, "
                                  f"{w.restarts} restart(s)", {"restarts": str(w.restarts)}))
        else:
            rows.append(StatusRow("vision", "pose worker", "error", w.last_error or "stopped"))
        specs = self.exercises()
        rows.append(StatusRow("vision", "exercises", "ok" if specs else "error",
                              f"{len(specs)} installed"))
        for e in self._errors:
            rows.append(StatusRow("vision", "exercise file", "warning", e))
        return rows

    # -- for the coaching screen ----------------------------------------------------------------
    @property
    def extra_exercises_dir(self) -> Path | None:
        """Where exercises beyond the built-in ones come from: the config's folder if it
        names one, else those installed from content bundles."""
        if self.cfg.vision.exercises_dir:
            return Path(self.cfg.vision.exercises_dir).expanduser()
        return self.layout.exercises if self.layout is not None else None

    def exercises(self) -> dict[str, ExerciseSpec]:
        """Built-in exercises, then the extra ones (the same name replaces); a bad file is
        skipped and named on the status page. The same dict until ``reload_exercises``."""
        if self._exercises is None:
            from vision.exercises import load_exercises_with_errors

            extra = self.extra_exercises_dir
            if not self.cfg.vision.exercises_dir and extra is not None and not extra.is_dir():
                extra = None  # no bundle installed yet: nothing to say
            self._exercises, self._errors = load_exercises_with_errors(extra)
        return self._exercises

    def reload_exercises(self) -> None:
        """Read the exercise files again (after a content install); screens that hold the
        old dict see a new one on their next visit."""
        self._exercises = None
        specs = self.exercises()
        log.info("exercises reloaded: %d (%d problem(s))", len(specs), len(self._errors))

    def resolve_source(self) -> str:
        """The source spec to use: ``auto`` becomes the first camera found, else ``sim``."""
        src = self.cfg.camera.source.strip()
        if src != "auto":
            return src
        from vision.sources import list_cameras

        cams = list_cameras()
        return cams[0] if cams else "sim"

    def _shared_worker(self) -> PoseWorker:
        from vision.worker import PoseWorker

        with self._lock:
            if self._worker is None:
                self._worker = PoseWorker(self.cfg.vision.model_complexity,
                                          second_person_every=self.cfg.vision.second_person_every)
            return self._worker

    def make_live(self, spec: ExerciseSpec, target: int,
                  on_update: Callable[[EngineUpdate], None], source: str | None = None,
                  **kw: Any) -> LiveEngine:
        """A ``LiveEngine`` for ``spec`` on the configured source (not started yet).

        Callbacks run on the LiveEngine's background thread; the caller marshals
        them to the UI thread. ``source`` overrides the config (tests, demos).
        """
        from vision.live import LiveEngine

        if self.closed:
            raise RuntimeError("the camera is closed outside opening hours")
        src = source or self.resolve_source()
        needs_model = not src.startswith("sim")
        live = LiveEngine(src, spec, target, on_update, mirror=self.cfg.camera.mirror,
                          model_complexity=self.cfg.vision.model_complexity,
                          width=self.cfg.camera.width, height=self.cfg.camera.height,
                          worker=self._shared_worker() if needs_model else None,
                          reopen_interval_s=self.cfg.camera.reopen_interval_s, **kw)
        with self._lock:
            self._live = live
        return live
