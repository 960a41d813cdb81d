"""My records on screen: totals and streak, the weekly chart, the recent list, each fitness
test over time with its band; loaded off the UI thread from the store's index. Nothing of a
resident stays on the screen once it is left or the visit ends."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.features.fitness.texts import SIDE_NAMES, TEXTS
from kiosk.features.records.summary import MyRecords, RecentItem, TestSeries, my_records
from kiosk.i18n import N_, text, tr
from kiosk.session.record import local_utc_offset_min
from kiosk.shell.running import kiosk_app

log = logging.getLogger(__name__)

GUEST_HINT = N_("Tap your resident card, or sign in with a number code, to see your own records.")
EMPTY = N_("No records yet. Your sessions will appear here.")
KIND_NAMES = {"exercise_session": N_("Exercise"), "lesson_progress": N_("Lesson"),
              "fitness_test": N_("Fitness test")}
UNIT_WORDS = {"reps": N_("{n} times"), "s": N_("{n} seconds"), "kg": N_("{n} kg"),
              "cm": N_("{n} cm"), "kg/m2": N_("BMI {n}")}


def item_line(item: RecentItem, lang: str, titles: dict[str, dict[str, str]]) -> str:
    when = item.when.strftime("%m-%d %H:%M")
    kind = tr(KIND_NAMES.get(item.kind, item.kind), lang)
    if item.kind == "fitness_test" and item.name in TEXTS:
        name = tr(TEXTS[item.name].title, lang)
    elif item.kind == "exercise_session" and item.name in titles:
        name = text(titles[item.name], lang)
    else:
        name = item.name.replace("_", " ").replace("-", " ")
    if item.kind == "lesson_progress":
        amount = tr(N_("finished"), lang) if item.completed else f"{round(100 * (item.value or 0))}%"
    elif item.value is None:
        amount = ""
    else:
        word = UNIT_WORDS.get(item.unit or "", "{n}")
        amount = tr(word, lang, n=f"{item.value:g}")
        if item.side:
            amount += " (" + tr(SIDE_NAMES[item.side], lang) + ")"
    return f"{when}   {kind} · {name}   {amount}"


class RecordsScreen(Screen):
    hint = StringProperty("")
    loading = BooleanProperty(False)
    """True while the store's thread reads the records (tests wait on it)."""
    week_text = StringProperty("")
    streak_text = StringProperty("")
    signed_in = BooleanProperty(False)

    def on_kv_post(self, base_widget: object) -> None:
        app = kiosk_app()
        app.bind(lang=lambda *_: self._refresh_if_shown(),
                 on_visit_end=lambda *_: self._clear())
        self._asked = 0
        self.data: MyRecords | None = None

    def _refresh_if_shown(self) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.refresh()

    def on_pre_enter(self, *args: object) -> None:
        self.refresh()

    def on_leave(self, *args: object) -> None:
        self._clear()  # nothing of a resident stays on a hidden screen

    def _clear(self) -> None:
        self.data = None
        self.ids.rows.clear_widgets()
        self.ids.tests.clear_widgets()
        self.ids.weeks.set_values([])
        self.week_text = self.streak_text = ""

    def refresh(self) -> None:
        app = kiosk_app()
        self._clear()
        store = app.services.store
        resident, lang = app.resident_id, app.lang
        self.signed_in = bool(resident)
        if not resident:
            self.hint = app.t(GUEST_HINT, lang)
            return
        if store is None or not store.available:
            self.hint = app.t(EMPTY, lang)
            return
        self.hint = app.t("Loading…", lang)
        self.loading = True
        self._asked += 1
        asked = self._asked
        residents = app.services.residents
        profile = residents.profile(resident) if residents is not None else None
        age = profile.age_group if profile else None
        sex = profile.sex if profile else None
        today = date.today()
        offset = local_utc_offset_min(datetime.now().astimezone())
        store.query_async(lambda st: my_records(st, resident, today, age, sex, offset),
                          lambda data, err: self._show(asked, resident, data, err))

    def _show(self, asked: int, resident: str, data: MyRecords | None,
              error: BaseException | None) -> None:
        app = kiosk_app()
        if asked != self._asked or resident != app.resident_id:
            return  # an older question, or the resident changed meanwhile
        self.loading = False
        if error is not None:
            log.error("could not read records: %s", error)
        if data is None or data.total == 0:
            self.hint = app.t(EMPTY, app.lang)
            return
        self.hint = ""
        self.data = data
        lang = app.lang
        week = data.this_week
        self.week_text = app.t("This week: {sessions} sessions, {minutes} minutes, {tests} tests",
                               lang, sessions=week.sessions, minutes=round(week.minutes),
                               tests=week.tests)
        self.streak_text = app.t("{days} days in a row", lang, days=data.streak_days) \
            if data.streak_days > 1 else (app.t("Active today", lang) if data.streak_days else "")
        self.ids.weeks.set_values([w.minutes for w in data.weeks])
        vision = app.services.vision
        titles = {n: s.text("title") for n, s in vision.exercises().items()} if vision else {}
        rows = self.ids.rows
        for item in data.recent:
            label = Factory.KLabel(text=item_line(item, lang, titles))
            label.units = 3.2
            rows.add_widget(label)
        for series in data.tests:
            self.ids.tests.add_widget(self._test_box(series, lang))

    def _test_box(self, series: TestSeries, lang: str) -> Any:
        box = Factory.TestTrend()
        title = tr(TEXTS[series.test].title, lang) if series.test in TEXTS else series.test
        word = UNIT_WORDS.get(series.unit, "{n}")
        latest = tr(word, lang, n=f"{series.latest:g}")
        if series.band is not None:
            box.band = tr(N_("normal range {low} to {high}"), lang,
                          low=f"{series.band[0]:g}", high=f"{series.band[1]:g}")
        colon = "：" if lang == "zh_CN" else ": "  # the full-width colon in Chinese text
        box.title = f"{title}{colon}{latest}"
        first = series.points[0][0]
        box.ids.chart.set_data([((d - first).days, v) for d, v, _s in series.points],
                               series.band)
        return box

    def about_me(self) -> None:
        kiosk_app().go("about_me")

    def delete(self) -> None:
        kiosk_app().go("records_delete")
