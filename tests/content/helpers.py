"""Builders for content tests: bundle trees, bundles, a repository with a settable clock."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from content.bundle import manifest_for_tree, write_bundle
from content.repository import ContentRepository
from content.service import ContentService

APP_VERSION = "0.1.0"
START = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)


@dataclass
class Clock:
    """A settable clock shared by the repository (signing) and the kiosk (checking)."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: float) -> None:
        self.now += timedelta(days=days)


def wav_bytes(n_samples: int = 800) -> bytes:
    data = b"\x00\x00" * n_samples
    fmt = struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
    return (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE" + b"fmt " + struct.pack("<I", 16)
            + fmt + b"data" + struct.pack("<I", len(data)) + data)


T = {"zh_CN": "测试", "en": "Test"}


def lesson_json(lid: str, exercise: str = "squat") -> dict[str, object]:
    return {
        "format": 1, "id": lid, "topic": "health", "title": {"zh_CN": "课 " + lid, "en": "Lesson " + lid},
        "summary": T, "duration_min": 5,
        "steps": [
            {"type": "slide", "title": T, "text": T, "image": "slide1.png",
             "narration": {"text": T, "audio": {"en": "n1.en.wav"}}},
            {"type": "quiz", "title": T, "questions": [
                {"kind": "true_false", "prompt": T, "answer": True, "explanation": T},
                {"kind": "single", "prompt": T, "choices": [T, T, T], "answer": 2, "explanation": T}]},
            {"type": "practice", "title": T, "text": T, "exercise": exercise,
             "target": {"value": 5, "unit": "reps"}},
        ],
    }


EXERCISE_TOML = (Path(__file__).resolve().parents[2] / "vision" / "exercises" / "squat.toml").read_text(encoding="utf-8")


def chair_squat_toml(name: str = "chair_squat") -> str:
    return EXERCISE_TOML.replace('name = "squat"', f'name = "{name}"')


@dataclass
class TreeSpec:
    lessons: list[str] = field(default_factory=lambda: ["l1"])
    exercises: dict[str, str] = field(default_factory=dict)
    voice: dict[str, bytes] = field(default_factory=lambda: {"en/count.1.wav": wav_bytes()})
    extra: dict[str, bytes] = field(default_factory=dict)
    lesson_overrides: dict[str, object] = field(default_factory=dict)


def make_tree(root: Path, spec: TreeSpec) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for lid in spec.lessons:
        d = root / "lessons" / lid
        d.mkdir(parents=True, exist_ok=True)
        data = spec.lesson_overrides.get(lid) or lesson_json(lid)
        (d / "lesson.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        (d / "slide1.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
        (d / "n1.en.wav").write_bytes(wav_bytes())
    for name, text in spec.exercises.items():
        (root / "exercises").mkdir(exist_ok=True)
        (root / "exercises" / f"{name}.toml").write_text(text, encoding="utf-8")
    for rel, data in spec.voice.items():
        p = root / "voice" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    for rel, data in spec.extra.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def make_bundle(tmp: Path, bundle_id: str = "demo", version: int = 1, spec: TreeSpec | None = None,
                min_app_version: str = "0.1.0") -> Path:
    spec = spec or TreeSpec()
    tree = make_tree(tmp / f"tree-{bundle_id}-{version}", spec)
    voice_langs = sorted({k.split("/")[0] for k in spec.voice})
    m = manifest_for_tree(tree, id=bundle_id, version=version,
                          title={"zh_CN": "演示", "en": "Demo"}, min_app_version=min_app_version,
                          lessons=list(spec.lessons), exercises=sorted(spec.exercises), voice=voice_langs)
    return write_bundle(tree, m, tmp / f"{bundle_id}-{version}.zip")


@dataclass
class Setup:
    tmp: Path
    clock: Clock
    repo: ContentRepository
    kiosk: ContentService

    @property
    def stick(self) -> Path:
        return self.tmp / "stick"

    def export(self) -> Path:
        return self.repo.export(self.stick)

    def publish(self, bundle: Path) -> None:
        self.repo.publish(bundle)


_BUILTIN: set[str] | None = None


def builtin_names() -> set[str]:
    global _BUILTIN
    if _BUILTIN is None:
        from content.installer import builtin_exercise_names

        _BUILTIN = builtin_exercise_names()
    return _BUILTIN


def make_setup(tmp: Path, threshold: int = 1, keys: int | None = None,
               repository_url: str | None = None) -> Setup:
    clock = Clock()
    repo = ContentRepository(tmp / "repo", tmp / "keys", clock)
    repo.init(threshold=threshold, keys=keys)
    root = tmp / "kiosk-root.json"
    root.write_bytes((tmp / "repo" / "metadata" / "1.root.json").read_bytes())
    kiosk = ContentService(tmp / "kiosk" / "content", root, APP_VERSION, repository_url=repository_url,
                           clock=clock, builtin_exercises=builtin_names())
    kiosk.start()
    return Setup(tmp, clock, repo, kiosk)
