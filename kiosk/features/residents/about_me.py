"""About me: the age group and sex a signed-in resident chooses to tell (both optional), kept
in their profile; the fitness tests compare results with people of the same age and sex."""

from __future__ import annotations

from typing import get_args

from kivy.factory import Factory
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.i18n import N_
from kiosk.shell.running import kiosk_app
from sync.records import AGE_GROUPS, AgeGroup, Sex

AGE_LABELS = {"under_60": N_("under 60"), "95_plus": N_("95+")}
SEX_LABELS = {"female": N_("Woman"), "male": N_("Man")}


def age_label(group: str, lang: str) -> str:
    from kiosk.i18n import tr

    return tr(AGE_LABELS[group], lang) if group in AGE_LABELS else group.replace("-", "–")


def as_age_group(value: str) -> AgeGroup | None:
    return next((g for g in get_args(AgeGroup) if g == value), None)


def as_sex(value: str) -> Sex | None:
    return next((s for s in get_args(Sex) if s == value), None)


class AboutMeScreen(Screen):
    age_group = StringProperty("")
    sex = StringProperty("")
    note = StringProperty("")

    def on_kv_post(self, base_widget: object) -> None:
        for group in AGE_GROUPS:
            chip = Factory.Chip()
            chip.value = group
            chip.bind(on_release=lambda c: self.choose_age(c.value))
            self.ids.ages.add_widget(chip)
        for sex in ("female", "male"):
            chip = Factory.Chip()
            chip.value = sex
            chip.bind(on_release=lambda c: self.choose_sex(c.value))
            self.ids.sexes.add_widget(chip)
        kiosk_app().bind(lang=lambda *_: self._labels(), on_visit_end=lambda *_: self.on_leave())

    def on_pre_enter(self, *args: object) -> None:
        app = kiosk_app()
        residents = app.services.residents
        profile = residents.profile(app.resident_id) if residents is not None else None
        self.age_group = (profile.age_group or "") if profile else ""
        self.sex = (profile.sex or "") if profile else ""
        self._labels()

    def on_leave(self, *args: object) -> None:
        self.age_group = self.sex = ""
        self._labels()

    def _labels(self) -> None:
        app = kiosk_app()
        for chip in self.ids.ages.children:
            chip.text = age_label(chip.value, app.lang)
            chip.selected = chip.value == self.age_group
        for chip in self.ids.sexes.children:
            chip.text = app.t(SEX_LABELS[chip.value], app.lang)
            chip.selected = chip.value == self.sex

    def choose_age(self, group: str) -> None:
        self.age_group = "" if self.age_group == group else group
        self._save("age_group")

    def choose_sex(self, sex: str) -> None:
        self.sex = "" if self.sex == sex else sex
        self._save("sex")

    def _save(self, what: str) -> None:
        app = kiosk_app()
        residents = app.services.residents
        self._labels()
        if residents is None or not app.resident_id:
            return
        residents.update_profile(app.resident_id, age_group=as_age_group(self.age_group),
                                 sex=as_sex(self.sex),
                                 clear=(what,) if not getattr(self, what) else ())
        self.note = app.t("Saved.", app.lang)
