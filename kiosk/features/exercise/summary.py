"""After a session: the result with its unit, good form, time, heart rate, the movement chart,
tips, and whether the session was saved."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.features.exercise.origin import Origin
from kiosk.i18n import N_, text
from kiosk.session.flow import SessionResult
from kiosk.shell.running import kiosk_app

TIP_COMPLETED = N_("Well done, keep it up!")
TIP_PARTIAL = N_("Next time, try to reach your target, at your own pace.")
NOT_SAVED = N_("This session could not be saved.")


class SummaryScreen(Screen):
    heading = StringProperty("")
    tips_text = StringProperty("")
    value_text = StringProperty("")
    """The result as shown (e.g. ``10 / 10``, ``24s``), for tests and the first figure."""
    done_text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.result: SessionResult | None = None
        self.origin: Origin | None = None
        kiosk_app().bind(lang=lambda *_: self.refresh())

    def show(self, result: SessionResult, origin: Origin | None = None) -> None:
        self.result, self.origin = result, origin
        self.refresh()

    def done(self) -> None:
        """Done: home, or back to where the session came from (a lesson's practice step)."""
        app = kiosk_app()
        if self.origin is not None:
            app.back_to(self.origin.screen)
        else:
            app.go_home()

    def refresh(self) -> None:
        result = self.result
        if result is None:
            return
        app = kiosk_app()
        lang = app.lang
        self.done_text = app.t(self.origin.done_label if self.origin else "Done", lang)
        spec, kind = result.spec, result.spec.kind
        title = text(spec.text("title"), lang)
        self.heading = (app.t("Well done! {exercise} finished", lang, exercise=title)
                        if result.completed else
                        app.t("{exercise}: session ended early", lang, exercise=title))
        if kind.counts_reps:
            target = "" if kind.time_limited or result.target is None else f" / {result.target:g}"
            value, caption = f"{result.count}{target}", app.t("Repetitions", lang)
        elif kind.holds:
            value, caption = f"{int(result.hold_s)}s", app.t("Seconds held", lang)
        else:
            value, caption = f"{result.result.value:.1f}s", app.t("Time", lang)
        self.value_text = value
        record = result.record
        hr = record.heart_rate if record is not None else None
        figures = [
            (value, caption),
            (f"{round(100 * result.good / result.count)}%"
             if kind.counts_reps and result.count else "—", app.t("Good form", lang)),
            (self._duration(result.duration_s, lang), app.t("Time", lang)),
            (f"{hr.avg_bpm:.0f} / {hr.max_bpm:.0f}" if hr else "—",
             app.t("Heart rate avg / max", lang)),
        ]
        grid = self.ids.figures
        grid.clear_widgets()
        for v, c in figures:
            fig = Factory.Figure()
            fig.value, fig.caption = v, c
            grid.add_widget(fig)
        summary = result.summary
        self.ids.chart.set_data(summary.trace_t if summary else [],
                                summary.trace_signal if summary else [],
                                [r.end for r in result.reps])
        tips = [text(tip, lang, spec=spec) for tip in (summary.tips[:2] if summary else [])]
        tips = [t for t in tips if t] or [app.t(TIP_COMPLETED if result.completed
                                                else TIP_PARTIAL, lang)]
        if result.saved is False:
            tips.append(app.t(NOT_SAVED, lang))
        self.tips_text = "\n".join(tips)

    @staticmethod
    def _duration(seconds: float, lang: str) -> str:
        m, s = divmod(int(round(seconds or 0)), 60)
        if lang == "zh_CN":
            return f"{m}分{s:02d}秒" if m else f"{s}秒"
        return f"{m}:{s:02d}" if m else f"{s} s"

    def again(self) -> None:
        app = kiosk_app()
        if self.result is None:
            app.go_home()
            return
        from kiosk.features.exercise.coach import CoachScreen

        coach = app.screen_as("coach", CoachScreen)
        coach.prepare(self.result.spec, int(self.result.target or 0), self.origin)
        app.go("coach")
