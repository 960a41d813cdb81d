"""One resident's way through one lesson: position, quiz answers, practice results, the record.

Why this module exists: the lesson screen (Kivy) should only show things and
forward taps. Where the resident is, what was answered (with immediate
feedback), the score, whether the practice step was done and when the lesson
counts as completed are decided here, Kivy-free and testable, and turned into
the synced ``lesson_progress`` record (``sync.records.LessonProgress``).

The record holds what schema v3 has: ``progress`` (the share of steps
reached, 0..1), ``completed`` and ``updated_at``. The step to resume at and
the quiz answers are kept in ``LessonRun.to_json()`` for the kiosk to store
locally until the record schema carries them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from content.lessons import Lesson, PracticeStep, QuizStep, Texts


@dataclass(frozen=True)
class Feedback:
    right: bool
    explanation: Texts
    right_choice: int


@dataclass
class LessonRun:
    lesson: Lesson
    step: int = 0
    furthest: int = 0
    answers: dict[tuple[int, int], int] = field(default_factory=dict)
    """(step index, question index) -> the chosen choice (the first answer counts)."""
    practice: dict[int, tuple[float, str]] = field(default_factory=dict)
    """step index -> (value, unit) the resident reached on the coaching screen."""

    @property
    def steps(self) -> int:
        return len(self.lesson.steps)

    @property
    def at_end(self) -> bool:
        return self.step >= self.steps - 1

    def go(self, index: int) -> int:
        self.step = max(0, min(self.steps - 1, index))
        self.furthest = max(self.furthest, self.step)
        return self.step

    def next(self) -> int:
        return self.go(self.step + 1)

    def back(self) -> int:
        return self.go(self.step - 1)

    def answer(self, step: int, question: int, choice: int) -> Feedback:
        """Record an answer (only the first counts for the score) and say if it was right."""
        s = self.lesson.steps[step]
        if not isinstance(s, QuizStep):
            raise ValueError(f"step {step} is not a quiz")
        q = s.questions[question]
        if not 0 <= choice < len(q.choices):
            raise ValueError(f"choice {choice} out of range")
        self.answers.setdefault((step, question), choice)
        return Feedback(q.is_right(choice), q.explanation, q.answer)

    def score(self) -> tuple[int, int]:
        """(right answers, questions) over every quiz in the lesson."""
        right = total = 0
        for i, s in enumerate(self.lesson.steps):
            if isinstance(s, QuizStep):
                for j, q in enumerate(s.questions):
                    total += 1
                    if (i, j) in self.answers and q.is_right(self.answers[(i, j)]):
                        right += 1
        return right, total

    def record_practice(self, step: int, value: float, unit: str) -> None:
        if not isinstance(self.lesson.steps[step], PracticeStep):
            raise ValueError(f"step {step} is not a practice step")
        self.practice[step] = (value, unit)

    @property
    def completed(self) -> bool:
        """Reached the last step and answered every quiz question."""
        _right, total = self.score()
        return self.furthest >= self.steps - 1 and len(self.answers) >= total

    @property
    def progress(self) -> float:
        if self.steps <= 1:
            return 1.0 if self.completed else 0.0
        return 1.0 if self.completed else min(0.99, self.furthest / (self.steps - 1))

    def to_record(self, kiosk_id: str, resident: str, now: datetime, utc_offset_min: int) -> Any:
        """The ``lesson_progress`` record for the store (``sync.records.LessonProgress``)."""
        from sync.records import LessonProgress

        return LessonProgress(kiosk_id=kiosk_id, resident=resident, lesson_id=self.lesson.id,
                              progress=round(self.progress, 4), completed=self.completed,
                              updated_at=now, utc_offset_min=utc_offset_min)

    def to_json(self) -> dict[str, Any]:
        """Where to resume and what was answered (kept on the kiosk)."""
        right, total = self.score()
        return {"lesson_id": self.lesson.id, "step": self.step, "furthest": self.furthest,
                "answers": [[i, j, c] for (i, j), c in sorted(self.answers.items())],
                "score": [right, total],
                "practice": [[i, v, u] for i, (v, u) in sorted(self.practice.items())]}

    @classmethod
    def from_json(cls, lesson: Lesson, d: dict[str, Any]) -> LessonRun:
        run = cls(lesson)
        try:
            for i, j, c in d.get("answers", []):
                run.answers[(int(i), int(j))] = int(c)
            for i, v, u in d.get("practice", []):
                run.practice[int(i)] = (float(v), str(u))
            run.furthest = max(0, min(run.steps - 1, int(d.get("furthest", 0))))
            run.go(int(d.get("step", 0)))
        except (TypeError, ValueError):
            return cls(lesson)  # a damaged resume point starts the lesson again
        return run
