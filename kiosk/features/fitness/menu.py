"""The fitness tests menu: "About you" (age group and sex, optional, from the profile when
signed in) and one card per test, each saying what it measures and what it needs."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.uix.screenmanager import Screen

from kiosk.features.fitness.state import FitnessVisit
from kiosk.features.fitness.texts import TEXTS
from kiosk.features.residents.about_me import SEX_LABELS, age_label, as_age_group, as_sex
from kiosk.i18n import N_, tr
from kiosk.shell.running import kiosk_app
from sync.records import AGE_GROUPS
from vision.fitness_tests import PROTOCOLS, Protocol
from vision.sim_fitness import demo_pose_at

NEEDS = {"station": N_("Needs the grip meter"), "scale": N_("Needs the scale")}
NO_CAMERA = N_("Needs the camera")
MENU_AGES = tuple(g for g in AGE_GROUPS)


class FitnessMenuScreen(Screen):
    def __init__(self, **kwargs: Any) -> None:
        self.visit = FitnessVisit()
        self.cards: dict[str, Any] = {}
        super().__init__(**kwargs)
        app = kiosk_app()
        app.bind(on_visit_end=lambda *_: self._forget(), lang=lambda *_: self._labels())

    def on_kv_post(self, base_widget: object) -> None:
        for group in MENU_AGES:
            chip = Factory.Chip()
            chip.value = group
            chip.bind(on_release=lambda c: self.choose_age(c.value))
            self.ids.ages.add_widget(chip)
        for sex in ("female", "male"):
            chip = Factory.Chip()
            chip.value = sex
            chip.bind(on_release=lambda c: self.choose_sex(c.value))
            self.ids.sexes.add_widget(chip)
        for protocol in self.offered():
            card = Factory.TestCard()
            card.test_id = protocol.id
            card.bind(on_release=lambda c: self.open_test(c.test_id))
            self.ids.tests.add_widget(card)
            self.cards[protocol.id] = card

    def offered(self) -> list[Protocol]:
        cfg = kiosk_app().cfg
        return [p for p in PROTOCOLS.values() if p.id != "up_and_go_8ft" or cfg.fitness.up_and_go]

    def on_pre_enter(self, *args: object) -> None:
        app = kiosk_app()
        residents = app.services.residents
        profile = residents.profile(app.resident_id) if residents and app.resident_id else None
        if profile is not None:
            self.visit.age_group = self.visit.age_group or profile.age_group
            self.visit.sex = self.visit.sex or profile.sex
        for pid, card in self.cards.items():
            card.ready = self.available(PROTOCOLS[pid]) == ""
            thumb = card.ids.thumb
            thumb.pose_at = demo_pose_at(pid)
            thumb.start()
        self._labels()

    def on_leave(self, *args: object) -> None:
        for card in self.cards.values():
            card.ids.thumb.stop()

    def available(self, protocol: Protocol) -> str:
        """Empty when the test can be taken on this kiosk now, else why not (a msgid)."""
        app = kiosk_app()
        if protocol.camera:
            return "" if app.services.vision is not None else NO_CAMERA
        sensors = app.services.sensors
        driver = "station" if protocol.device == "station" else "scale"
        present = sensors is not None and any(
            st.driver == driver and st.state in ("open", "noisy") for st in sensors.devices())
        return "" if present else NEEDS[protocol.device]

    def _labels(self) -> None:
        app = kiosk_app()
        lang = app.lang
        for chip in self.ids.ages.children:
            chip.text = age_label(chip.value, lang)
            chip.selected = chip.value == self.visit.age_group
        for chip in self.ids.sexes.children:
            chip.text = tr(SEX_LABELS[chip.value], lang)
            chip.selected = chip.value == self.visit.sex
        for pid, card in self.cards.items():
            texts = TEXTS[pid]
            card.title = tr(texts.title, lang)
            why = self.available(PROTOCOLS[pid])
            card.line = tr(why, lang) if why else tr(texts.measures, lang)
            card.ready = not why

    def choose_age(self, group: str) -> None:
        self.visit.age_group = None if self.visit.age_group == group else as_age_group(group)
        self._remember("age_group")

    def choose_sex(self, sex: str) -> None:
        self.visit.sex = None if self.visit.sex == sex else as_sex(sex)
        self._remember("sex")

    def _remember(self, what: str) -> None:
        """A signed-in resident's choice goes into their profile; a guest's is for this visit."""
        self._labels()
        app = kiosk_app()
        residents = app.services.residents
        if residents is not None and app.resident_id:
            residents.update_profile(app.resident_id, age_group=self.visit.age_group,
                                     sex=self.visit.sex,
                                     clear=(what,) if getattr(self.visit, what) is None else ())

    def open_test(self, test_id: str) -> None:
        protocol = PROTOCOLS[test_id]
        if self.available(protocol):
            return
        self.visit.protocol = protocol
        self.visit.run = None
        app = kiosk_app()
        app.go("fitness_intro" if protocol.camera else "fitness_sensor")

    def _forget(self) -> None:
        self.visit.clear()
        self._labels()
