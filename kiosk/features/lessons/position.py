"""Where the lesson player is: a step, inside a quiz one question or its score, or the end.

Why this module exists: the player's big Next and Back buttons (and swipes)
move through a lesson one thing at a time: slide by slide, through a quiz
question by question and then its score, and after the last step to an end
page. A question must be answered before Next goes on; nothing moves by
itself. These rules sit here, Kivy-free, on top of ``content.progress.LessonRun``
(which keeps the step, the answers and the practice results for the record),
so they are tested without a window.
"""

from __future__ import annotations

from dataclasses import dataclass

from content.lessons import QuizStep, Step
from content.progress import LessonRun


@dataclass
class Position:
    run: LessonRun
    part: int = 0
    """Inside a quiz: the question shown (``len(questions)`` = the quiz's score page)."""
    finished: bool = False
    """On the end page, after the last step."""

    @property
    def index(self) -> int:
        return self.run.step

    @property
    def step(self) -> Step:
        return self.run.lesson.steps[self.run.step]

    @property
    def question(self) -> int | None:
        """The quiz question shown, or None (not a quiz, or its score page)."""
        s = self.step
        if self.finished or not isinstance(s, QuizStep) or self.part >= len(s.questions):
            return None
        return self.part

    @property
    def on_score(self) -> bool:
        s = self.step
        return not self.finished and isinstance(s, QuizStep) and self.part >= len(s.questions)

    def can_next(self) -> bool:
        if self.finished:
            return False
        q = self.question
        return q is None or self.run.answered(self.index, q) is not None

    def can_back(self) -> bool:
        return self.finished or self.part > 0 or self.index > 0

    def next(self) -> bool:
        """One thing forward; False when Next is not possible now."""
        if not self.can_next():
            return False
        s = self.step
        if isinstance(s, QuizStep) and self.part < len(s.questions):
            self.part += 1
        elif self.run.at_end:
            self.finished = True
        else:
            self.run.next()
            self.part = 0
        return True

    def back(self) -> bool:
        """One thing back; False at the very beginning."""
        if self.finished:
            self.finished = False
        elif self.part > 0:
            self.part -= 1
        elif self.index > 0:
            self.run.back()
            s = self.step
            self.part = len(s.questions) if isinstance(s, QuizStep) else 0
        else:
            return False
        return True

    def resume(self) -> None:
        """Where a resumed run goes on: its step, at the first unanswered question."""
        self.finished = False
        s = self.step
        self.part = 0
        if isinstance(s, QuizStep):
            unanswered = [j for j in range(len(s.questions))
                          if self.run.answered(self.index, j) is None]
            self.part = unanswered[0] if unanswered else len(s.questions)
