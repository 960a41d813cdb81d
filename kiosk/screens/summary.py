"""After a session: repetitions, good-form ratio, duration, heart rate, the movement chart, tips."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.i18n import cue_text, pick

DEFAULT_TIPS = {
    "good": {"zh_CN": "完成得很好，继续保持！", "en": "Well done, keep it up!"},
    "partial": {"zh_CN": "下次试着完成目标，量力而行。",
                "en": "Next time, try to reach your target, at your own pace."},
    "rest": {"zh_CN": "记得喝水，休息一下。", "en": "Remember to drink some water and rest."},
}


class SummaryScreen(Screen):
    heading = StringProperty("")
    tips_text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec: Any = None
        self.target = 0
        self.data: dict[str, Any] = {}
        App.get_running_app().bind(lang=lambda *_: self._render())

    def show(self, spec: Any, target: int, summary: Any, record: Any, reps: list[Any],
             hold_s: float) -> None:
        """Fill in from the engine's summary and the saved record (either may be None)."""
        self.spec, self.target = spec, target
        count = len(reps) if spec.kind.counts_reps else int(hold_s)
        good = sum(1 for r in reps if r.good) if spec.kind.counts_reps else count
        trace_t = list(getattr(summary, "trace_t", []) or [])
        trace_v = list(getattr(summary, "trace_signal", []) or [])
        tips = list(getattr(summary, "tips", []) or [])
        hr = getattr(record, "heart_rate", None) if record is not None else None
        self.data = {
            "count": count,
            "good": good,
            "duration_s": getattr(record, "duration_s", None)
            or getattr(summary, "duration_s", 0.0),
            "hr": hr,
            "trace": (trace_t, trace_v, [r.end for r in reps]),
            "tips": tips,
            "completed": bool(getattr(record, "completed", count >= target)),
            "saved": record is not None,
        }
        self._render()

    def _render(self) -> None:
        if self.spec is None:
            return
        app = App.get_running_app()
        lang = app.lang
        d = self.data
        title = pick(self.spec.text("title"), lang)
        self.heading = (app.t("Well done! {exercise} finished", lang, exercise=title)
                        if d["completed"] else
                        app.t("{exercise}: session ended early", lang, exercise=title))
        grid = self.ids.figures
        grid.clear_widgets()
        hold = not self.spec.kind.counts_reps
        figures = [
            (f"{d['count']}" + ("s" if hold else f" / {self.target}"),
             app.t("Seconds held" if hold else "Repetitions", lang)),
            (f"{round(100 * d['good'] / d['count'])}%" if d["count"] and not hold else "—",
             app.t("Good form", lang)),
            (self._duration(d["duration_s"], lang), app.t("Time", lang)),
            (f"{d['hr'].avg_bpm:.0f} / {d['hr'].max_bpm:.0f}" if d["hr"] else "—",
             app.t("Heart rate avg / max", lang)),
        ]
        for value, caption in figures:
            fig = Factory.Figure()
            fig.value, fig.caption = value, caption
            grid.add_widget(fig)
        t, v, marks = d["trace"]
        self.ids.chart.set_data(t, v, marks)
        tips = [cue_text(tip, self.spec, lang) for tip in d["tips"][:2]]
        if not tips:
            tips = [pick(DEFAULT_TIPS["good" if d["completed"] else "partial"], lang)]
        if not d["saved"]:
            tips.append(app.t("This session could not be saved.", lang))
        self.tips_text = "\n".join(tips)

    @staticmethod
    def _duration(seconds: float, lang: str) -> str:
        m, s = divmod(int(round(seconds or 0)), 60)
        if lang == "zh_CN":
            return f"{m}分{s:02d}秒" if m else f"{s}秒"
        return f"{m}:{s:02d}" if m else f"{s} s"

    def again(self) -> None:
        app = App.get_running_app()
        if self.spec is None:
            app.go_home()
            return
        app.sm.get_screen("coach").prepare(self.spec, self.target)
        app.go("coach")
