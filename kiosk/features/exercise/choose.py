"""Choose an exercise and a target (repetitions, or seconds for a timed hold)."""

from __future__ import annotations

import logging
from typing import Any

from kivy.factory import Factory
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.i18n import N_, text
from kiosk.shell.running import kiosk_app
from vision.activity import Unit
from vision.exercises import ExerciseSpec

log = logging.getLogger(__name__)

REPS_STEP, REPS_MIN, REPS_MAX = 1, 1, 50
HOLD_STEP, HOLD_MIN, HOLD_MAX = 5, 5, 120


def looping_pose(exercise: str) -> Any:
    """``t -> landmarks`` of the simulated person doing the exercise, looping."""
    from vision.sim import SimulatedPerson

    person = SimulatedPerson(exercise, reps=1, period_s=2.4, noise=0.0, lead_in_s=0.3,
                             tail_s=0.3, render=False, realtime=False)
    span = person.duration_s
    return lambda t: person.landmarks_at(t % span)[0]


class ChooseScreen(Screen):
    chosen = StringProperty("")
    chosen_title = StringProperty("")
    chosen_description = StringProperty("")
    target = NumericProperty(10)
    target_text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        app = kiosk_app()
        self.exercises: dict[str, ExerciseSpec] = {}
        self._cards: dict[str, Any] = {}
        self._build_cards()
        app.bind(lang=lambda *_: self._update_texts(), large=lambda *_: self._update_texts())
        self.bind(target=lambda *_: self._update_texts(), chosen=lambda *_: self._update_texts())
        self._update_texts()

    def _build_cards(self) -> None:
        """One card per exercise, from the vision service's exercises (built in and
        installed from content bundles)."""
        vision = kiosk_app().services.vision
        # One loading of the exercise files, shared with the vision service.
        self.exercises = vision.exercises() if vision is not None else {}
        self.ids.grid.clear_widgets()
        self._cards = {}
        for spec in self.exercises.values():
            card = Factory.ExerciseCard()
            card.name = spec.name
            try:
                card.ids.thumb.pose_at = looping_pose(spec.name)
            except ValueError:
                log.info("no animation for %s", spec.name)
            card.bind(on_release=lambda c: self.choose(c.name))
            self.ids.grid.add_widget(card)
            self._cards[spec.name] = card
        if self.chosen not in self.exercises:
            self.chosen = ""

    def on_enter(self, *args: object) -> None:
        for card in self._cards.values():
            card.ids.thumb.start()

    def on_leave(self, *args: object) -> None:
        for card in self._cards.values():
            card.ids.thumb.stop()

    def on_pre_enter(self, *args: object) -> None:
        vision = kiosk_app().services.vision
        if vision is not None and vision.exercises() is not self.exercises:
            self._build_cards()  # content was installed since: new exercises appear
            self._update_texts()
        if not self.chosen and self.exercises:
            self.choose(next(iter(self.exercises)))

    def choose(self, name: str) -> None:
        spec = self.exercises[name]
        self.chosen = name
        self.target = spec.default_target
        for n, card in self._cards.items():
            card.selected = n == name

    def _limits(self) -> tuple[int, int, int]:
        spec = self.exercises.get(self.chosen)
        if spec is not None and spec.kind.target_unit == Unit.SECONDS:
            return HOLD_STEP, HOLD_MIN, HOLD_MAX
        return REPS_STEP, REPS_MIN, REPS_MAX

    def change_target(self, direction: int) -> None:
        step, lo, hi = self._limits()
        self.target = int(min(hi, max(lo, self.target + direction * step)))

    def _update_texts(self) -> None:
        app = kiosk_app()
        lang = app.lang
        for each in self.exercises.values():
            card = self._cards[each.name]
            card.title = text(each.text("title"), lang)
            card.line = text(each.text("description"), lang)
            card.stars = "★" * each.difficulty + "☆" * (3 - each.difficulty)
        spec = self.exercises.get(self.chosen)
        if spec is None:
            self.chosen_title = app.t("Choose an exercise", lang)
            self.chosen_description = ""
            self.target_text = ""
            return
        self.chosen_title = text(spec.text("title"), lang)
        self.chosen_description = text(spec.text("description"), lang)
        unit = N_("seconds") if spec.kind.target_unit == Unit.SECONDS else N_("times")
        big = int(app.fs(6, app.u, app.large))
        self.target_text = f"[b][size={big}]{int(self.target)}[/size][/b]\n{app.t(unit, lang)}"

    def start(self) -> None:
        if not self.chosen:
            return
        app = kiosk_app()
        from kiosk.features.exercise.coach import CoachScreen

        coach = app.screen_as("coach", CoachScreen)
        coach.prepare(self.exercises[self.chosen], int(self.target))
        app.go("coach")
