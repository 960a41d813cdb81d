"""A large numeric keypad (digits, Clear, OK) for codes and PINs, shared by the sign-in
screens; the digits typed go to ``on_digit``, Clear and OK to their callbacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.factory import Factory

from kiosk.i18n import N_
from kiosk.shell.running import kiosk_app

KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "ok"]


def fill_keypad(grid: Any, on_digit: Callable[[str], None], on_clear: Callable[[], None],
                on_ok: Callable[[], None]) -> None:
    """Put the twelve keys into ``grid`` (a 3-column GridLayout)."""
    grid.clear_widgets()
    for key in KEYS:
        button = Factory.KeyButton()
        button.key = key
        if key == "clear":
            button.msgid = N_("Clear")
            button.units = 3.6
            button.bind(on_release=lambda *_: on_clear())
        elif key == "ok":
            button.msgid = N_("OK")
            button.units = 3.6
            button.bind(on_release=lambda *_: on_ok())
        else:
            button.text = key
            button.bind(on_release=lambda b: on_digit(b.key))
        grid.add_widget(button)
    label_keys(grid)
    kiosk_app().bind(lang=lambda *_: label_keys(grid))


def label_keys(grid: Any) -> None:
    app = kiosk_app()
    for button in grid.children:
        if button.key in ("clear", "ok"):
            button.text = app.t(button.msgid, app.lang)
