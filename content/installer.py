"""The one install pipeline for bundles from a stick, the network or a file.

Why this module exists: whatever the bundle's way to the kiosk, it goes
through the same steps, in this order:

1. the bundle file's length and SHA-256 against the TUF-signed target info
   (streamed; ``content.trust``);
2. the zip's structure against its manifest (``content.bundle``): names,
   entry types, the exact set of files, zip-bomb limits; the manifest's id and
   version against the signed target, the version against the installed one
   (it only goes up), the app version it needs;
3. every file extracted into ``staging/`` while its size and SHA-256 are
   checked chunk by chunk (never the whole bundle in memory);
4. lessons (``content.lessons``), exercises (``vision.exercises.load_file``,
   exactly like the built-in ones) and voice clips validated: a bad one is
   skipped and named, the rest installed;
5. the tree synced, moved into ``store/``, and the new view switched in
   atomically (``content.store``); the previous version kept for rollback.

Any refusal raises ``InstallError`` with a one-line reason, records it in the
status book, and leaves the active content as it was.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuf.api.metadata import TargetFile

from content.bundle import DEFAULT_LIMITS, BundleError, Limits, open_bundle
from content.lessons import LessonError, load_lesson
from content.manifest import Manifest, ManifestError, app_version_ok, parse_manifest
from content.status import record_failure, record_report
from content.store import (
    BusyError,
    ContentStore,
    InstalledBundle,
    Skipped,
    State,
    StoreError,
    now_iso,
    sync_tree,
)
from content.trust import TrustedRepository, TrustError

log = logging.getLogger(__name__)

PhaseProgress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``; phases: verify, extract, validate, switch."""


class InstallError(Exception):
    """A bundle was refused (or rollback impossible); the message names the problem."""


@dataclass
class InstallReport:
    bundle_id: str
    version: int
    previous_version: int | None
    source: str
    files: int
    bytes: int
    lessons: list[str] = field(default_factory=list)
    exercises: list[str] = field(default_factory=list)
    voice: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    action: str = "install"

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action, "bundle": self.bundle_id, "version": self.version,
            "previous_version": self.previous_version, "source": self.source,
            "files": self.files, "bytes": self.bytes, "lessons": self.lessons,
            "exercises": self.exercises, "voice": self.voice,
            "skipped": [s.to_json() for s in self.skipped], "seconds": round(self.seconds, 3),
            "time": now_iso(),
        }

    def lines(self) -> list[str]:
        """A per-item report for a maintainer."""
        prev = f" (was {self.previous_version})" if self.previous_version else ""
        out = [f"{self.bundle_id} version {self.version}{prev}: {self.files} files, "
               f"{self.bytes / 1e6:.1f} MB, {self.seconds:.1f} s"]
        out += [f"  ok       lesson {x}" for x in self.lessons]
        out += [f"  ok       exercise {x}" for x in self.exercises]
        if self.voice:
            langs = sorted({v.split('/', 1)[0] for v in self.voice})
            out.append(f"  ok       {len(self.voice)} voice clips ({', '.join(langs)})")
        out += [f"  skipped  {s.path}: {s.reason}" for s in self.skipped]
        return out


def builtin_exercise_names() -> set[str]:
    from vision.exercises import load_exercises_with_errors

    specs, _errors = load_exercises_with_errors(None)
    return set(specs)


def _validate_tree(tree: Path, m: Manifest, others: dict[str, InstalledBundle],
                   builtin: set[str]) -> tuple[list[str], list[str], list[str], list[Skipped]]:
    """(lessons, exercises, voice clips, skipped) of an extracted bundle."""
    from vision.exercises import ExerciseError, load_file

    skipped: list[Skipped] = []
    owner_lesson = {lid: b.id for b in others.values() for lid in b.lessons}
    owner_ex = {n: b.id for b in others.values() for n in b.exercises}
    owner_voice = {v: b.id for b in others.values() for v in b.voice}

    exercises: list[str] = []
    for name in m.exercises:
        rel = f"exercises/{name}.toml"
        if name in owner_ex:
            skipped.append(Skipped(rel, f"exercise {name!r} is already provided by bundle {owner_ex[name]!r}"))
            continue
        try:
            spec = load_file(tree / rel)
        except ExerciseError as exc:
            skipped.append(Skipped(rel, f"invalid exercise: {exc}"))
            continue
        if spec.name != name:
            skipped.append(Skipped(rel, f"name {spec.name!r} differs from the file name {name!r}"))
            continue
        exercises.append(name)
    known = builtin | set(exercises) | set(owner_ex)

    lessons: list[str] = []
    for lid in m.lessons:
        rel = f"lessons/{lid}/lesson.json"
        if lid in owner_lesson:
            skipped.append(Skipped(rel, f"lesson {lid!r} is already provided by bundle {owner_lesson[lid]!r}"))
            continue
        try:
            lesson = load_lesson(tree / "lessons" / lid, known)
        except LessonError as exc:
            skipped.append(Skipped(rel, f"invalid lesson: {exc}"))
            continue
        del lesson
        lessons.append(lid)

    voice: list[str] = []
    for f in m.files:
        parts = f.path.split("/")
        if parts[0] != "voice":
            continue
        clip = "/".join(parts[1:])
        if len(parts) != 3 or parts[1] not in m.voice or not parts[2].endswith(".wav"):
            skipped.append(Skipped(f.path, "voice clips must be voice/<zh_CN|en>/<key>.wav for a listed language"))
            continue
        with open(tree / f.path, "rb") as fh:
            head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            skipped.append(Skipped(f.path, "not a WAV file"))
            continue
        if clip in owner_voice:
            skipped.append(Skipped(f.path, f"voice clip already provided by bundle {owner_voice[clip]!r}"))
            continue
        voice.append(clip)
    return lessons, exercises, voice, skipped


class Installer:
    """Installs verified bundles into a ``ContentStore``; one at a time."""

    def __init__(self, store: ContentStore, app_version: str, limits: Limits = DEFAULT_LIMITS,
                 builtin_exercises: set[str] | None = None):
        self.store = store
        self.app_version = app_version
        self.limits = limits
        self._builtin = builtin_exercises

    @property
    def builtin(self) -> set[str]:
        if self._builtin is None:
            self._builtin = builtin_exercise_names()
        return self._builtin

    def install(self, bundle: Path, info: TargetFile, trusted: TrustedRepository,
                source: str, progress: PhaseProgress | None = None,
                allow_reinstall: bool = False) -> InstallReport:
        """Verify ``bundle`` against the signed ``info`` and install it (see the module doc)."""
        label = Path(bundle).name
        try:
            with self.store.lock():
                self.store.recover()
                try:
                    return self._install_locked(Path(bundle), info, trusted, source, progress, allow_reinstall)
                finally:
                    self.store.recover()  # a refused bundle leaves nothing in staging
        except BusyError as exc:
            raise InstallError(str(exc)) from None
        except (BundleError, TrustError, StoreError, ManifestError, InstallError) as exc:
            reason = str(exc)
            self._fail(source, label, reason)
            raise InstallError(f"{label}: {reason}") from None
        except OSError as exc:
            reason = f"file system error: {exc.strerror or exc} ({exc.filename or ''})"
            self._fail(source, label, reason)
            raise InstallError(f"{label}: {reason}") from None

    def _fail(self, source: str, label: str, reason: str) -> None:
        log.error("content: %s from %s refused: %s", label, source, reason)
        try:
            record_failure(self.store, source, label, reason)
        except OSError as exc:
            log.error("content: cannot record the failure: %s", exc)

    def _install_locked(self, bundle: Path, info: TargetFile, trusted: TrustedRepository,
                        source: str, progress: PhaseProgress | None, allow_reinstall: bool) -> InstallReport:
        t0 = time.monotonic()
        size = bundle.stat().st_size
        if progress:
            progress("verify", 0, size)
        trusted.verify_file(info, bundle)
        if progress:
            progress("verify", size, size)
        with open_bundle(bundle, self.limits) as reader:
            m = reader.manifest
            custom = info.unrecognized_fields.get("custom", {})
            signed = custom.get("bundle", {}) if isinstance(custom, dict) else {}
            if signed and (signed.get("id") != m.id or signed.get("version") != m.version):
                raise InstallError(
                    f"manifest says {m.id} version {m.version}, the signed metadata "
                    f"{signed.get('id')} version {signed.get('version')}")
            state = self.store.state()
            cur = state.bundles.get(m.id)
            if cur is not None:
                if m.version < cur.version:
                    raise InstallError(
                        f"version {m.version} is older than the installed version {cur.version} "
                        f"(rollback refused; use `kiosk content rollback {m.id}`)")
                if m.version == cur.version and not allow_reinstall:
                    raise InstallError(f"version {m.version} is already installed")
            if not app_version_ok(m.min_app_version, self.app_version):
                raise InstallError(
                    f"needs app version {m.min_app_version} or newer (this kiosk runs {self.app_version})")
            staged = self.store.new_staging(f"{m.id}-{m.version}")

            def on_chunk(_path: str, done: int, total: int) -> None:
                if progress:
                    progress("extract", done, total)

            reader.extract_to(staged, self.limits, on_chunk if progress else None)
        (staged / "manifest.json").write_bytes(m.to_bytes())
        if progress:
            progress("validate", 0, 1)
        others = {k: v for k, v in state.bundles.items() if k != m.id}
        lessons, exercises, voice, skipped = _validate_tree(staged, m, others, self.builtin)
        if progress:
            progress("switch", 0, 1)
        sync_tree(staged)
        dirname = self.store.commit_tree(staged, m.id, m.version)
        previous: tuple[tuple[int, str], ...] = ((cur.version, cur.dir),) if cur and cur.version != m.version else ()
        rec = InstalledBundle(
            id=m.id, version=m.version, dir=dirname, title=m.title, installed_at=now_iso(),
            lessons=tuple(lessons), exercises=tuple(exercises), voice=tuple(voice),
            skipped=tuple(skipped), previous=previous,
        )
        new_state = State(self.store.next_generation(), {**state.bundles, m.id: rec})
        self.store.switch(new_state)
        if progress:
            progress("switch", 1, 1)
        report = InstallReport(
            bundle_id=m.id, version=m.version, previous_version=cur.version if cur else None,
            source=source, files=len(m.files), bytes=m.total_size, lessons=lessons,
            exercises=exercises, voice=voice, skipped=skipped, seconds=time.monotonic() - t0,
        )
        record_report(self.store, report.to_json())
        log.info("content: installed %s version %s from %s (%d skipped)", m.id, m.version, source, len(skipped))
        return report

    def rollback(self, bundle_id: str) -> InstallReport:
        """Make the kept previous version of ``bundle_id`` active again."""
        try:
            with self.store.lock():
                self.store.recover()
                state = self.store.state()
                cur = state.bundles.get(bundle_id)
                if cur is None:
                    raise InstallError(f"{bundle_id}: not installed")
                if not cur.previous:
                    raise InstallError(f"{bundle_id}: no previous version is kept on this kiosk")
                pv, pdir = cur.previous[-1]
                tree = self.store.store_dir / bundle_id / pdir
                try:
                    m = parse_manifest((tree / "manifest.json").read_bytes())
                except (OSError, ManifestError) as exc:
                    raise InstallError(f"{bundle_id}: previous version {pv} is damaged ({exc})") from None
                others = {k: v for k, v in state.bundles.items() if k != bundle_id}
                lessons, exercises, voice, skipped = _validate_tree(tree, m, others, self.builtin)
                rec = InstalledBundle(
                    id=bundle_id, version=pv, dir=pdir, title=m.title, installed_at=now_iso(),
                    lessons=tuple(lessons), exercises=tuple(exercises), voice=tuple(voice),
                    skipped=tuple(skipped), previous=((cur.version, cur.dir),),
                    rolled_back_from=cur.version,
                )
                self.store.switch(State(self.store.next_generation(), {**state.bundles, bundle_id: rec}))
                report = InstallReport(bundle_id, pv, cur.version, "rollback", len(m.files), m.total_size,
                                       lessons, exercises, voice, skipped, action="rollback")
                record_report(self.store, report.to_json())
                return report
        except BusyError as exc:
            raise InstallError(str(exc)) from None
        except (StoreError, OSError) as exc:
            raise InstallError(f"{bundle_id}: rollback failed: {exc}") from None
