"""Lessons and quizzes as data: the model a lesson screen renders, parsed and validated.

Why this module exists: lessons come from bundles written by maintainers,
not programmers, and are shown to older residents; a lesson that would break
on screen must be refused when it is installed, with the file and the field
named. Kivy-free and typed: the lesson screen (``kiosk/features/lessons``)
only walks ``Lesson.steps``.

A lesson is ``lessons/<id>/lesson.json`` plus the files it names (paths are
relative to the lesson folder). Steps:

- ``slide``: a title, large text, an optional picture, narration (its text in
  both languages, for espeak-ng as the fallback, and recorded audio per
  language), ``auto_advance`` (default false: nothing advances by itself);
- ``video``: an mp4 (H.264) with SubRip subtitles per language;
- ``quiz``: 1 to 10 questions, ``single`` (2 to 6 choices, one ``answer``
  index) or ``true_false`` (``answer`` true/false), each with a one-line
  explanation shown right after the answer; ``score`` counts right answers;
- ``practice``: an exercise name (built-in or installed) and a target
  ``{value, unit}`` (``reps`` or ``s``), opened on the coaching screen.

Every text the resident sees is ``{"zh_CN": ..., "en": ...}``; ``text(t, lang)``
is the one look-up function.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from content.manifest import BUNDLE_ID, LANGS, UnsafePathError, check_path
from content.subtitles import Cue, SubtitleError, parse_srt

FORMAT = 1
TOPICS = ("health", "safety", "daily_life", "smartphone")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
AUDIO_SUFFIXES = (".wav",)
VIDEO_SUFFIXES = (".mp4",)
MAX_LESSON_BYTES = 1024 * 1024
MAX_STEPS = 40

Texts = dict[str, str]


class LessonError(ValueError):
    """A lesson is invalid; the message names the file and the field."""


def text(t: Texts | None, lang: str) -> str:
    """The text in ``lang``, else English, else Chinese, else empty."""
    if not t:
        return ""
    return t.get(lang) or t.get("en") or t.get("zh_CN") or ""


@dataclass(frozen=True)
class Narration:
    text: Texts
    """What is said, in both languages (spoken by espeak-ng when there is no recording)."""
    audio: dict[str, Path] = field(default_factory=dict)
    """Recorded narration per language."""


@dataclass(frozen=True)
class SlideStep:
    title: Texts
    body: Texts
    image: Path | None = None
    narration: Narration | None = None
    auto_advance: bool = False
    type: Literal["slide"] = "slide"


@dataclass(frozen=True)
class VideoStep:
    title: Texts
    video: Path
    subtitles: dict[str, tuple[Cue, ...]]
    subtitle_files: dict[str, Path]
    caption: Texts | None = None
    auto_advance: bool = False
    type: Literal["video"] = "video"


@dataclass(frozen=True)
class Question:
    kind: Literal["single", "true_false"]
    prompt: Texts
    choices: tuple[Texts, ...]
    """For ``true_false``: (True, False) as texts."""
    answer: int
    """Index into ``choices`` (for true/false: 0 = true, 1 = false)."""
    explanation: Texts

    def is_right(self, choice: int) -> bool:
        return choice == self.answer


@dataclass(frozen=True)
class QuizStep:
    title: Texts
    questions: tuple[Question, ...]
    type: Literal["quiz"] = "quiz"

    def score(self, answers: Iterable[int | None]) -> int:
        return sum(1 for q, a in zip(self.questions, answers, strict=False) if a is not None and q.is_right(a))


@dataclass(frozen=True)
class PracticeStep:
    title: Texts
    body: Texts
    exercise: str
    target_value: float
    target_unit: Literal["reps", "s"]
    type: Literal["practice"] = "practice"


Step = SlideStep | VideoStep | QuizStep | PracticeStep

TRUE_FALSE: tuple[Texts, Texts] = ({"zh_CN": "对", "en": "True"}, {"zh_CN": "错", "en": "False"})


@dataclass(frozen=True)
class Source:
    title: str
    url: str
    publisher: str = ""


@dataclass(frozen=True)
class Lesson:
    id: str
    topic: str
    title: Texts
    summary: Texts
    duration_min: float
    steps: tuple[Step, ...]
    sources: tuple[Source, ...] = ()
    folder: Path = Path(".")

    @property
    def exercises(self) -> tuple[str, ...]:
        return tuple(s.exercise for s in self.steps if isinstance(s, PracticeStep))

    def files(self) -> list[Path]:
        """Every file the lesson uses (absolute, under ``folder``)."""
        out: list[Path] = []
        for s in self.steps:
            if isinstance(s, SlideStep):
                if s.image:
                    out.append(s.image)
                if s.narration:
                    out.extend(s.narration.audio.values())
            elif isinstance(s, VideoStep):
                out.append(s.video)
                out.extend(s.subtitle_files.values())
        return out


# -- parsing -------------------------------------------------------------------------


class _Ctx:
    def __init__(self, source: str, folder: Path, check_files: bool):
        self.source = source
        self.folder = folder
        self.check_files = check_files

    def err(self, where: str, msg: str) -> LessonError:
        return LessonError(f"{self.source}: {where}: {msg}")


def _texts(ctx: _Ctx, d: object, where: str, max_len: int = 2000) -> Texts:
    if not isinstance(d, dict):
        raise ctx.err(where, "must be an object with zh_CN and en texts")
    out: Texts = {}
    for lang in LANGS:
        v = d.get(lang)
        if not isinstance(v, str) or not v.strip():
            raise ctx.err(f"{where}.{lang}", "missing or empty text")
        if len(v) > max_len:
            raise ctx.err(f"{where}.{lang}", f"longer than {max_len} characters")
        out[lang] = v
    extra = set(d) - set(LANGS)
    if extra:
        raise ctx.err(where, f"unknown language keys {sorted(extra)}")
    return out


def _keys(ctx: _Ctx, d: dict[str, Any], allowed: set[str], required: set[str], where: str) -> None:
    for k in sorted(required):
        if k not in d:
            raise ctx.err(f"{where}.{k}", "missing")
    extra = set(d) - allowed
    if extra:
        raise ctx.err(where, f"unknown fields {sorted(extra)}")


def _file(ctx: _Ctx, v: object, where: str, suffixes: tuple[str, ...]) -> Path:
    if not isinstance(v, str):
        raise ctx.err(where, "must be a relative file path")
    try:
        check_path("lessons/x/" + v)
    except UnsafePathError as exc:
        raise ctx.err(where, f"unsafe path {v!r} ({str(exc).split(': ', 1)[-1]})") from None
    if not v.lower().endswith(suffixes):
        raise ctx.err(where, f"{v!r} must end with {' or '.join(suffixes)}")
    path = ctx.folder / v
    if ctx.check_files and not path.is_file():
        raise ctx.err(where, f"file {v!r} is not in the lesson folder")
    return path


def _bool(ctx: _Ctx, d: dict[str, Any], key: str, where: str, default: bool = False) -> bool:
    v = d.get(key, default)
    if not isinstance(v, bool):
        raise ctx.err(f"{where}.{key}", f"must be true or false (got {v!r})")
    return v


def _slide(ctx: _Ctx, d: dict[str, Any], where: str) -> SlideStep:
    _keys(ctx, d, {"type", "title", "text", "image", "narration", "auto_advance"}, {"title", "text"}, where)
    image = _file(ctx, d["image"], f"{where}.image", IMAGE_SUFFIXES) if "image" in d else None
    narration = None
    if "narration" in d:
        n = d["narration"]
        nw = f"{where}.narration"
        if not isinstance(n, dict):
            raise ctx.err(nw, "must be an object with text and audio")
        _keys(ctx, n, {"text", "audio"}, {"text"}, nw)
        audio_raw = n.get("audio", {})
        if not isinstance(audio_raw, dict) or set(audio_raw) - set(LANGS):
            raise ctx.err(f"{nw}.audio", "must map zh_CN/en to .wav files")
        audio = {lang: _file(ctx, p, f"{nw}.audio.{lang}", AUDIO_SUFFIXES) for lang, p in audio_raw.items()}
        narration = Narration(_texts(ctx, n["text"], f"{nw}.text", 4000), audio)
    return SlideStep(
        title=_texts(ctx, d["title"], f"{where}.title", 120),
        body=_texts(ctx, d["text"], f"{where}.text", 600),
        image=image, narration=narration,
        auto_advance=_bool(ctx, d, "auto_advance", where),
    )


def _video(ctx: _Ctx, d: dict[str, Any], where: str) -> VideoStep:
    _keys(ctx, d, {"type", "title", "video", "subtitles", "caption", "auto_advance"},
          {"title", "video", "subtitles"}, where)
    video = _file(ctx, d["video"], f"{where}.video", VIDEO_SUFFIXES)
    subs_raw = d["subtitles"]
    if not isinstance(subs_raw, dict) or set(subs_raw) != set(LANGS):
        raise ctx.err(f"{where}.subtitles", "must name a .srt file for zh_CN and for en")
    files: dict[str, Path] = {}
    cues: dict[str, tuple[Cue, ...]] = {}
    for lang in LANGS:
        p = _file(ctx, subs_raw[lang], f"{where}.subtitles.{lang}", (".srt",))
        files[lang] = p
        if ctx.check_files:
            try:
                cues[lang] = parse_srt(p.read_text(encoding="utf-8"))
            except (SubtitleError, UnicodeDecodeError) as exc:
                raise ctx.err(f"{where}.subtitles.{lang}", f"{subs_raw[lang]}: {exc}") from None
    caption = _texts(ctx, d["caption"], f"{where}.caption", 300) if "caption" in d else None
    return VideoStep(title=_texts(ctx, d["title"], f"{where}.title", 120), video=video,
                     subtitles=cues, subtitle_files=files, caption=caption,
                     auto_advance=_bool(ctx, d, "auto_advance", where))


def _question(ctx: _Ctx, d: object, where: str) -> Question:
    if not isinstance(d, dict):
        raise ctx.err(where, "must be an object")
    kind = d.get("kind")
    if kind == "single":
        _keys(ctx, d, {"kind", "prompt", "choices", "answer", "explanation"},
              {"prompt", "choices", "answer", "explanation"}, where)
        raw = d["choices"]
        if not isinstance(raw, list) or not 2 <= len(raw) <= 6:
            raise ctx.err(f"{where}.choices", "must list 2 to 6 choices")
        choices = tuple(_texts(ctx, c, f"{where}.choices[{i}]", 200) for i, c in enumerate(raw))
        ans = d["answer"]
        if isinstance(ans, bool) or not isinstance(ans, int) or not 0 <= ans < len(choices):
            raise ctx.err(f"{where}.answer", f"must be the index of the right choice, 0 to {len(choices) - 1} (got {ans!r})")
        answer = ans
    elif kind == "true_false":
        _keys(ctx, d, {"kind", "prompt", "answer", "explanation"}, {"prompt", "answer", "explanation"}, where)
        if not isinstance(d["answer"], bool):
            raise ctx.err(f"{where}.answer", f"must be true or false (got {d['answer']!r})")
        choices = TRUE_FALSE
        answer = 0 if d["answer"] else 1
    else:
        raise ctx.err(f"{where}.kind", f"must be \"single\" or \"true_false\" (got {kind!r})")
    return Question(kind=kind, prompt=_texts(ctx, d["prompt"], f"{where}.prompt", 300),
                    choices=choices, answer=answer,
                    explanation=_texts(ctx, d["explanation"], f"{where}.explanation", 300))


def _quiz(ctx: _Ctx, d: dict[str, Any], where: str) -> QuizStep:
    _keys(ctx, d, {"type", "title", "questions"}, {"title", "questions"}, where)
    qs = d["questions"]
    if not isinstance(qs, list) or not 1 <= len(qs) <= 10:
        raise ctx.err(f"{where}.questions", "must list 1 to 10 questions")
    return QuizStep(title=_texts(ctx, d["title"], f"{where}.title", 120),
                    questions=tuple(_question(ctx, q, f"{where}.questions[{i}]") for i, q in enumerate(qs)))


def _practice(ctx: _Ctx, d: dict[str, Any], where: str, known_exercises: set[str] | None) -> PracticeStep:
    _keys(ctx, d, {"type", "title", "text", "exercise", "target"}, {"title", "text", "exercise", "target"}, where)
    ex = d["exercise"]
    if not isinstance(ex, str) or not BUNDLE_ID.match(ex):
        raise ctx.err(f"{where}.exercise", f"must be an exercise name (got {ex!r})")
    if known_exercises is not None and ex not in known_exercises:
        raise ctx.err(f"{where}.exercise", f"unknown exercise {ex!r} (not built in and not in the bundle)")
    t = d["target"]
    if not isinstance(t, dict):
        raise ctx.err(f"{where}.target", "must be {value, unit}")
    _keys(ctx, t, {"value", "unit"}, {"value", "unit"}, f"{where}.target")
    value = t["value"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 600:
        raise ctx.err(f"{where}.target.value", f"must be a number from 1 to 600 (got {value!r})")
    unit = t["unit"]
    if unit not in ("reps", "s"):
        raise ctx.err(f"{where}.target.unit", f"must be \"reps\" or \"s\" (got {unit!r})")
    return PracticeStep(title=_texts(ctx, d["title"], f"{where}.title", 120),
                        body=_texts(ctx, d["text"], f"{where}.text", 600),
                        exercise=ex, target_value=float(value), target_unit=unit)


def parse_lesson(data: object, source: str = "<lesson>", folder: Path = Path("."),
                 check_files: bool = True, known_exercises: set[str] | None = None) -> Lesson:
    """Validate a lesson object (from ``lesson.json``); raise ``LessonError`` naming the field."""
    ctx = _Ctx(source, Path(folder), check_files)
    if not isinstance(data, dict):
        raise ctx.err("<top>", "must be a JSON object")
    _keys(ctx, data, {"format", "id", "topic", "title", "summary", "duration_min", "steps", "sources"},
          {"format", "id", "topic", "title", "summary", "duration_min", "steps"}, "lesson")
    if data["format"] != FORMAT:
        raise ctx.err("format", f"{data['format']!r} is not supported (this app reads {FORMAT})")
    lid = data["id"]
    if not isinstance(lid, str) or not BUNDLE_ID.match(lid):
        raise ctx.err("id", f"{lid!r} is not an id (a-z, 0-9, '_', '-')")
    topic = data["topic"]
    if topic not in TOPICS:
        raise ctx.err("topic", f"must be one of {', '.join(TOPICS)} (got {topic!r})")
    dur = data["duration_min"]
    if isinstance(dur, bool) or not isinstance(dur, int | float) or not 0 < dur <= 120:
        raise ctx.err("duration_min", f"must be minutes, 1 to 120 (got {dur!r})")
    steps_raw = data["steps"]
    if not isinstance(steps_raw, list) or not 1 <= len(steps_raw) <= MAX_STEPS:
        raise ctx.err("steps", f"must list 1 to {MAX_STEPS} steps")
    steps: list[Step] = []
    for i, s in enumerate(steps_raw):
        where = f"steps[{i}]"
        if not isinstance(s, dict):
            raise ctx.err(where, "must be an object")
        kind = s.get("type")
        if kind == "slide":
            steps.append(_slide(ctx, s, where))
        elif kind == "video":
            steps.append(_video(ctx, s, where))
        elif kind == "quiz":
            steps.append(_quiz(ctx, s, where))
        elif kind == "practice":
            steps.append(_practice(ctx, s, where, known_exercises))
        else:
            raise ctx.err(f"{where}.type", f"must be slide, video, quiz or practice (got {kind!r})")
    sources: list[Source] = []
    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list):
        raise ctx.err("sources", "must be a list of {title, url, publisher}")
    for i, src in enumerate(raw_sources):
        if not isinstance(src, dict) or not isinstance(src.get("title"), str) or not isinstance(src.get("url"), str):
            raise ctx.err(f"sources[{i}]", "must be {title, url, publisher}")
        sources.append(Source(src["title"], src["url"], str(src.get("publisher", ""))))
    return Lesson(id=lid, topic=topic, title=_texts(ctx, data["title"], "title", 120),
                  summary=_texts(ctx, data["summary"], "summary", 400), duration_min=float(dur),
                  steps=tuple(steps), sources=tuple(sources), folder=Path(folder))


def load_lesson(folder: Path, known_exercises: set[str] | None = None) -> Lesson:
    """Load ``folder/lesson.json``; the folder's name must be the lesson's id."""
    folder = Path(folder)
    path = folder / "lesson.json"
    source = f"lessons/{folder.name}/lesson.json"
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LessonError(f"{source}: cannot read ({exc.strerror})") from None
    if len(raw) > MAX_LESSON_BYTES:
        raise LessonError(f"{source}: larger than {MAX_LESSON_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LessonError(f"{source}: not valid JSON ({exc})") from None
    lesson = parse_lesson(data, source, folder, True, known_exercises)
    if lesson.id != folder.name:
        raise LessonError(f"{source}: id: {lesson.id!r} differs from its folder name {folder.name!r}")
    return lesson


def load_lessons(lessons_dir: Path, known_exercises: set[str] | None = None) -> tuple[list[Lesson], list[str]]:
    """Every valid lesson under ``lessons_dir`` (sorted by topic, then id) and the errors."""
    out: list[Lesson] = []
    errors: list[str] = []
    d = Path(lessons_dir)
    if not d.is_dir():
        return out, errors
    for sub in sorted(d.iterdir()):
        if not sub.is_dir():
            continue
        try:
            out.append(load_lesson(sub, known_exercises))
        except LessonError as exc:
            errors.append(str(exc))
    out.sort(key=lambda les: (TOPICS.index(les.topic), les.id))
    return out, errors
