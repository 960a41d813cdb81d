"""A large on-screen keyboard for a few words of feedback.

Letters, digits, space and delete, and a row of short phrases in the resident's language
("Thank you", "Needs repair"...) that most residents will tap instead of typing. There is
no pinyin input: turning pinyin into characters needs a ranked lexicon and candidate
selection (an input method), and no well-kept Python library offers one (pypinyin goes
the other way, characters to pinyin; pinyin-to-character packages on PyPI are unmaintained
since 2016). ``docs/community.md`` says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.factory import Factory

from kiosk.i18n import N_, tr

LETTERS = "qwertyuiopasdfghjklzxcvbnm"
PHRASES = (N_("Thank you"), N_("Very good"), N_("Needs repair"), N_("Too difficult"),
           N_("More classes please"))
SPACE = " "
DELETE = "\b"


def fill_keyboard(box: Any, lang: str, on_key: Callable[[str], None],
                  phrases_too: bool = True) -> None:
    """The phrases and keys into ``box`` (a vertical BoxLayout sized by its children);
    each tap calls ``on_key(text)`` (``"\\b"`` deletes the last character)."""
    from kiosk.shell.running import kiosk_app

    app = kiosk_app()
    height = app.u * 8 * (1.2 if app.large else 1)
    box.clear_widgets()
    phrases = Factory.GridLayout(cols=2 if app.large or app.portrait else 3, size_hint_y=None,
                                 spacing=app.u * 0.6)
    phrases.bind(minimum_height=phrases.setter("height"))
    sep = " " if lang == "en" else "，"
    for phrase in PHRASES if phrases_too else ():
        words = tr(phrase, lang)
        b = Factory.KeyButton(text=words, units=3.2, size_hint_y=None, height=height)
        b.key = words + sep
        b.bind(on_release=lambda btn: on_key(btn.key))
        phrases.add_widget(b)
    keys = Factory.GridLayout(cols=10, size_hint_y=None, spacing=app.u * 0.6)
    keys.bind(minimum_height=keys.setter("height"))
    for ch in LETTERS:
        b = Factory.KeyButton(text=ch, units=4.5, size_hint_y=None, height=height)
        b.key = ch
        b.bind(on_release=lambda btn: on_key(btn.key))
        keys.add_widget(b)
    for key, label in ((SPACE, tr(N_("Space"), lang)), (DELETE, "←")):
        b = Factory.KeyButton(text=label, units=3.4, size_hint_y=None, height=height)
        b.key = key
        b.bind(on_release=lambda btn: on_key(btn.key))
        keys.add_widget(b)
    if phrases_too:
        box.add_widget(phrases)
    box.add_widget(keys)
