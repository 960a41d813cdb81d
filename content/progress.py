"""One resident's way through one lesson: position, quiz answers, practice results, the record.

Why this module exists: the lesson screen (Kivy) should only show things and
forward taps. Where the resident is, what was answered (with immediate
feedback), the score, whether the practice step was done and when the lesson
counts as completed are decided here, Kivy-free and testable, and turned into
the synced ``lesson_progress`` record (``sync.records.LessonProgress``).

One run is one record: it keeps its UUID while the resident goes on, so every
save replaces the stored record (the store and the server upsert on it) and
the newest state is what syncs. The record (schema version 4) holds the step
to resume at, the first answer to each quiz question with the score, and the
practice results with the exercise session each one produced;
``LessonRun.from_record`` resumes from it.
"""

from __future__ import annotations

import uuid as _uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from content.lessons import Lesson, PracticeStep, QuizStep, Texts

if TYPE_CHECKING:
    from sync.records import LessonProgress


@dataclass(frozen=True)
class Feedback:
    right: bool
    explanation: Texts
    right_choice: int


@dataclass(frozen=True)
class Practice:
    """What the resident did on a practice step (from the coaching screen's result)."""

    value: float
    unit: str
    completed: bool = False
    """The target was reached."""
    session: _uuid.UUID | None = None
    """The exercise session record the practice produced."""


@dataclass
class LessonRun:
    lesson: Lesson
    step: int = 0
    furthest: int = 0
    answers: dict[tuple[int, int], int] = field(default_factory=dict)
    """(step index, question index) -> the chosen choice (the first answer counts)."""
    practice: dict[int, Practice] = field(default_factory=dict)
    """step index -> what the resident reached on the coaching screen."""
    uuid: _uuid.UUID = field(default_factory=_uuid.uuid4)
    """The record's UUID: the same for every save of this run."""
    bundle: tuple[str, int] | None = None
    """The bundle (id, version) the lesson came from, for the record."""

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

    def answered(self, step: int, question: int) -> int | None:
        """The first answer given to a question, if any."""
        return self.answers.get((step, question))

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

    def quiz_score(self, step: int) -> tuple[int, int]:
        """(right answers, questions) of one quiz step."""
        s = self.lesson.steps[step]
        if not isinstance(s, QuizStep):
            raise ValueError(f"step {step} is not a quiz")
        right = sum(1 for j, q in enumerate(s.questions)
                    if (step, j) in self.answers and q.is_right(self.answers[(step, j)]))
        return right, len(s.questions)

    def record_practice(self, step: int, value: float, unit: str, completed: bool = False,
                        session: _uuid.UUID | None = None) -> None:
        if not isinstance(self.lesson.steps[step], PracticeStep):
            raise ValueError(f"step {step} is not a practice step")
        self.practice[step] = Practice(float(value), unit, completed, session)

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

    def to_record(self, kiosk_id: str, resident: str, now: datetime, utc_offset_min: int) -> LessonProgress:
        """The ``lesson_progress`` record for the store (``sync.records.LessonProgress``)."""
        from sync.records import LessonProgress, PracticeResult, QuizAnswer, Target

        right, total = self.score()
        answers = []
        for (i, j), c in sorted(self.answers.items()):
            s = self.lesson.steps[i]
            assert isinstance(s, QuizStep)
            answers.append(QuizAnswer(step=i, question=j, choice=c, right=s.questions[j].is_right(c)))
        practice = []
        for i, p in sorted(self.practice.items()):
            s = self.lesson.steps[i]
            assert isinstance(s, PracticeStep)
            unit: Literal["reps", "s"] = "s" if p.unit == "s" else "reps"
            practice.append(PracticeResult(
                step=i, exercise=s.exercise, value=max(0.0, p.value), unit=unit,
                target=Target(value=s.target_value, unit=s.target_unit),
                completed=p.completed, session=p.session))
        return LessonProgress(
            uuid=self.uuid, kiosk_id=kiosk_id, resident=resident, lesson_id=self.lesson.id,
            progress=round(self.progress, 4), completed=self.completed,
            updated_at=now, utc_offset_min=utc_offset_min,
            step=self.step, steps=self.steps, answers=answers,
            score=right if total else None, questions=total if total else None,
            practice=practice,
            bundle_id=self.bundle[0] if self.bundle else None,
            bundle_version=self.bundle[1] if self.bundle else None)

    @classmethod
    def from_record(cls, lesson: Lesson, rec: LessonProgress) -> LessonRun:
        """Go on with a stored run (same UUID). Answers and practice results that no longer
        fit the lesson (a newer bundle changed it) are dropped; the step is kept in range."""
        run = cls(lesson, uuid=rec.uuid)
        if rec.bundle_id and rec.bundle_version:
            run.bundle = (rec.bundle_id, rec.bundle_version)
        for a in rec.answers:
            s = lesson.steps[a.step] if a.step < run.steps else None
            if isinstance(s, QuizStep) and a.question < len(s.questions) and \
                    a.choice < len(s.questions[a.question].choices):
                run.answers[(a.step, a.question)] = a.choice
        for p in rec.practice:
            if p.step < run.steps and isinstance(lesson.steps[p.step], PracticeStep):
                run.practice[p.step] = Practice(p.value, p.unit, p.completed, p.session)
        step = rec.step if rec.step is not None else round(rec.progress * (run.steps - 1))
        run.furthest = max(0, min(run.steps - 1, round(rec.progress * (run.steps - 1))))
        run.go(step)
        return run

    def to_json(self) -> dict[str, Any]:
        """Where to resume and what was answered (a plain JSON form of the run)."""
        right, total = self.score()
        return {"lesson_id": self.lesson.id, "uuid": str(self.uuid), "step": self.step,
                "furthest": self.furthest,
                "answers": [[i, j, c] for (i, j), c in sorted(self.answers.items())],
                "score": [right, total],
                "practice": [[i, p.value, p.unit, p.completed, str(p.session) if p.session else None]
                             for i, p in sorted(self.practice.items())]}

    @classmethod
    def from_json(cls, lesson: Lesson, d: dict[str, Any]) -> LessonRun:
        run = cls(lesson)
        try:
            if d.get("uuid"):
                run.uuid = _uuid.UUID(str(d["uuid"]))
            for i, j, c in d.get("answers", []):
                run.answers[(int(i), int(j))] = int(c)
            for i, v, u, *rest in d.get("practice", []):
                done = bool(rest[0]) if rest else False
                session = _uuid.UUID(str(rest[1])) if len(rest) > 1 and rest[1] else None
                run.practice[int(i)] = Practice(float(v), str(u), done, session)
            run.furthest = max(0, min(run.steps - 1, int(d.get("furthest", 0))))
            run.go(int(d.get("step", 0)))
        except (TypeError, ValueError):
            return cls(lesson)  # a damaged resume point starts the lesson again
        return run
