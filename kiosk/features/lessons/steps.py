"""The lesson player's step views: slide, video with subtitles, quiz question, quiz score,
practice, and the end page.

Why this module exists: each kind of step looks different, and each must
stay readable for an older resident in both languages and in large-text
mode. A view only draws what it is given (``fill``) and hands taps to the
player screen (``kiosk/features/lessons/player.py``), which owns the
lesson's state. Texts that could overflow (a slide's body) shrink only as
far as needed to fit, never below ``MIN_FIT`` of their size.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import (
    BooleanProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.boxlayout import BoxLayout

from content.lessons import Question
from content.subtitles import Cue, cue_at

log = logging.getLogger(__name__)

MIN_FIT = 0.7
"""A step's texts never shrink below this share of their size ..."""
MIN_FIT_LARGE = 1 / 1.3
"""... and in large-text mode never below the normal size."""


class StepView(BoxLayout):
    """Base of the step views: one ``fit`` scale for the texts that might overflow."""

    fit = NumericProperty(1.0)

    def __init__(self, **kwargs: Any) -> None:
        self._refit = Clock.create_trigger(self._fit_texts, -1)
        super().__init__(**kwargs)
        self.bind(size=self._refit)
        from kiosk.shell.running import kiosk_app

        kiosk_app().bind(large=self._refit, u=self._refit)  # weakly bound

    def on_kv_post(self, base_widget: object) -> None:
        for name in ("column", "words", "choices"):  # their sizes settle after the view's
            if name in self.ids:
                self.ids[name].bind(size=self._refit)

    def refit(self) -> None:
        """Fit the texts again (after they changed)."""
        self._refit()

    def fits(self) -> bool:
        """Whether every text is inside its room at the current ``fit``."""
        return True

    def _fit_texts(self, *_args: object) -> None:
        from kiosk.shell.running import kiosk_app

        least = MIN_FIT_LARGE if kiosk_app().large else MIN_FIT
        fit = 1.0
        while True:
            self.fit = fit
            if self.fits() or fit <= least:
                break
            fit = max(least, fit * 0.94)


def _measure(label: Any, width: float, margin: float = 0.0) -> float:
    """The height of a label's text when it is ``width`` wide (the width its box will give
    it: the label's own may not be laid out yet), ``margin`` less for its padding."""
    label.text_size = (max(1.0, width - margin), None)
    label.texture_update()
    return float(label.texture_size[1])


class SlideView(StepView):
    title = StringProperty("")
    body = StringProperty("")
    source = StringProperty("")
    """The slide's picture (a file in the lesson folder), or ""."""

    def fits(self) -> bool:
        column = self.ids.column
        room = column.height - column.spacing * (len(column.children) - 1)
        w = column.width
        return _measure(self.ids.title, w) + _measure(self.ids.body, w) <= room


class VideoView(StepView):
    title = StringProperty("")
    caption = StringProperty("")
    subtitle = StringProperty("")
    playing = BooleanProperty(False)
    cues = ObjectProperty((), allownone=True)
    """The subtitle cues in the resident's language."""
    on_end: Callable[[], None] | None = None

    def start(self, path: str) -> None:
        video = self.ids.video
        video.bind(position=self._position, state=self._state, eos=self._eos)
        video.source = path
        video.state = "play"

    def set_cues(self, cues: tuple[Cue, ...]) -> None:
        self.cues = cues
        self._position(self.ids.video, self.ids.video.position)

    def _position(self, _video: object, position: float) -> None:
        self.subtitle = cue_at(self.cues or (), float(position))

    def _state(self, _video: object, state: str) -> None:
        self.playing = state == "play"

    def _eos(self, _video: object, eos: bool) -> None:
        if eos:
            self.subtitle = ""
            if self.on_end is not None:
                self.on_end()

    def toggle(self) -> None:
        video = self.ids.video
        video.state = "pause" if video.state == "play" else "play"

    def again(self) -> None:
        video = self.ids.video
        video.state = "stop"
        video.state = "play"

    def unload(self) -> None:
        video = self.ids.video
        video.unbind(position=self._position, state=self._state, eos=self._eos)
        video.state = "stop"
        video.unload()


class QuizView(StepView):
    counter = StringProperty("")
    prompt = StringProperty("")
    feedback = StringProperty("")
    explanation = StringProperty("")
    right = BooleanProperty(False)
    answered = BooleanProperty(False)
    two_way = BooleanProperty(False)
    """True/false questions put their two answers side by side."""
    on_choice: Callable[[int], None] | None = None

    def show_question(self, question: Question, texts: list[str], chosen: int | None) -> None:
        """Draw the choices; ``chosen`` is the first answer given (None: not answered yet)."""
        self.two_way = question.kind == "true_false"
        box = self.ids.choices
        box.clear_widgets()
        self.answered = chosen is not None
        for i, label in enumerate(texts):
            button = Factory.ChoiceButton()
            button.index = i
            button.fit = self.fit
            button.raw = label
            if chosen is not None:
                button.mark = ("right" if i == question.answer else
                               "wrong" if i == chosen else "faded")
            button.bind(on_release=lambda b: self._chosen(b.index))
            box.add_widget(button)
        self.refit()

    @property
    def buttons(self) -> list[Any]:
        return list(reversed(self.ids.choices.children))

    def on_fit(self, _view: object, fit: float) -> None:
        for b in self.buttons:
            b.fit = fit

    def _chosen(self, index: int) -> None:
        if self.on_choice is not None and not self.answered:
            self.on_choice(index)

    def fits(self) -> bool:
        from kiosk.shell.running import kiosk_app

        app = kiosk_app()
        words = self.ids.words
        room = words.height - words.spacing * (len(words.children) - 1)
        need = sum(_measure(self.ids[i], words.width)
                   for i in ("counter", "prompt", "feedback", "explanation"))
        if need > room:
            return False
        # each choice is as tall as its text needs (ChoiceButton in steps.kv)
        choices = self.ids.choices
        n = len(self.buttons)
        width = ((choices.width - choices.spacing * (n - 1)) / max(1, n) if self.two_way
                 else choices.width)
        least = app.u * (13 if app.large else 11) * self.fit
        heights = [max(least, _measure(b, width, app.u * 3) + app.u * 2.5) for b in self.buttons]
        if not heights:
            return True
        if self.two_way:
            return max(heights) <= words.height
        return sum(heights) + self.ids.choices.spacing * (len(heights) - 1) <= words.height


class ScoreView(StepView):
    score = StringProperty("")
    line = StringProperty("")
    perfect = BooleanProperty(False)


class PracticeView(StepView):
    title = StringProperty("")
    body = StringProperty("")
    target = StringProperty("")
    result = StringProperty("")
    done = BooleanProperty(False)
    start_text = StringProperty("")
    available = BooleanProperty(True)
    on_start: Callable[[], None] | None = None

    def start(self) -> None:
        if self.on_start is not None:
            self.on_start()

    def fits(self) -> bool:
        column = self.ids.column
        room = column.height - column.spacing * (len(column.children) - 1)
        fixed = self.ids.start_row.height
        w = column.width
        return sum(_measure(self.ids[i], w) for i in ("title", "body", "target", "result")) + fixed <= room


class EndView(StepView):
    heading = StringProperty("")
    lines = StringProperty("")
    saved = StringProperty("")
