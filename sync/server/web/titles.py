"""Readable names of exercises, lessons and fitness tests for the pages.

Why this module exists: records carry ids (``squat``, ``falls-1``,
``chair_stand_30s``); a manager reads titles in their language. Exercise
titles come from the exercise data files (``vision/exercises/*.toml``, read
as data with ``tomllib`` so the server never imports the vision code), test
titles from the norms file, lesson titles from a registry the content
feature can fill (:func:`register_lesson_titles`); an unknown id is shown as
it is.
"""

from __future__ import annotations

import importlib.util
import logging
import tomllib
from functools import cache
from pathlib import Path

from sync.server.web.norms import load_norms

log = logging.getLogger(__name__)

_lessons: dict[str, dict[str, str]] = {}


def register_lesson_titles(titles: dict[str, dict[str, str]]) -> None:
    """Add lesson titles ({lesson id: {"zh_CN": ..., "en": ...}}), e.g. from published bundles."""
    _lessons.update(titles)


def _exercise_dir() -> Path | None:
    spec = importlib.util.find_spec("vision")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "exercises"


@cache
def exercise_titles() -> dict[str, dict[str, str]]:
    folder = _exercise_dir()
    out: dict[str, dict[str, str]] = {}
    if folder is None:
        return out
    for path in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            log.warning("exercise titles: cannot read %s: %s", path.name, exc)
            continue
        title = data.get("title")
        if isinstance(title, dict):
            out[str(data.get("name", path.stem))] = {str(k): str(v) for k, v in title.items()}
    return out


def title(kind: str, subject: str, lang: str) -> str:
    texts: dict[str, str] | None
    if kind == "exercise_session":
        texts = exercise_titles().get(subject)
    elif kind == "lesson_progress":
        texts = _lessons.get(subject)
    elif kind == "fitness_test":
        norm = load_norms().get(subject)
        texts = norm.title if norm else None
    else:
        texts = None
    if not texts:
        return subject
    return texts.get(lang) or texts.get("en") or subject
