"""A label that breaks its lines by Chinese rules (``kiosk.i18n.linebreak``).

Why this module exists: Kivy's own wrapping may start a Chinese line with a
comma; lesson texts are long and read by older residents. Set ``raw`` (not
``text``): the label breaks it into lines for its width (``text_size[0]`` when
set, else its width) and its current font, again whenever either changes.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty
from kivy.uix.label import Label

from kiosk.i18n.linebreak import break_lines

SLACK = 0.985
"""Break a little short of the width, so Kivy never wraps a line again itself."""


class WrappedLabel(Label):
    raw = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name in ("raw", "text_size", "width", "font_size", "bold", "font_name"):
            self.fbind(name, self._rewrap)
        self._rewrap()

    def _rewrap(self, *_args: object) -> None:
        raw = self.raw
        width = self.text_size[0] if self.text_size and self.text_size[0] else self.width
        if not raw or width <= 1:
            self.text = raw
            return
        core = self._label
        core.options["font_size"] = self.font_size
        core.options["bold"] = self.bold
        core.options["font_name"] = self.font_name
        self.text = "\n".join(break_lines(raw, width * SLACK, lambda s: core.get_extents(s)[0]))
