"""Every text a resident sees, in Chinese and English, through one lookup: ``text()``.

Why this module exists: the language changes with one tap on any screen, and
texts come from two places. Texts chosen in code are gettext message ids
(the English text, marked ``N_("...")`` where they are not translated at
once), translated by the catalogues ``kiosk/i18n/locale/<lang>/LC_MESSAGES/
kiosk.po``. Texts that come with data (an exercise file today, a lesson
bundle tomorrow) are tables ``{"zh_CN": ..., "en": ...}`` in the data.
``text(what, lang)`` takes either, or a vision ``Cue`` (which names one or
the other), and returns the text in ``lang``. kv rules use ``app.t(msgid,
lang)``, the same catalogue lookup.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Union

from kiosk.i18n.catalogue import CatalogueError, compile_mo, parse_po

if TYPE_CHECKING:
    from vision.engine import Cue
    from vision.exercises import ExerciseSpec

Text = Union[str, Mapping[str, str], "Cue"]
"""What ``text`` looks up: a msgid, a data table ``{"zh_CN": ..., "en": ...}``, or a Cue."""

__all__ = ["LANGUAGES", "CatalogueError", "N_", "Text", "compile_mo", "parse_po", "po_path",
           "spoken_number", "text", "tr", "translations"]

LANGUAGES = ("zh_CN", "en")
DOMAIN = "kiosk"
LOCALE_DIR = Path(__file__).parent / "locale"


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    if lang not in LANGUAGES:
        raise CatalogueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    path = po_path(lang)
    entries = parse_po(path.read_text(encoding="utf-8"), str(path))
    entries.setdefault("", "Content-Type: text/plain; charset=UTF-8\n")
    return gettext.GNUTranslations(io.BytesIO(compile_mo(entries)))


def tr(msgid: str, lang: str, **fmt: object) -> str:
    """Translate ``msgid`` into ``lang``; ``fmt`` fills ``{name}`` placeholders."""
    text = translations(lang).gettext(msgid)
    return text.format(**fmt) if fmt else text


def N_(msgid: str) -> str:
    """Mark ``msgid`` as a text chosen in code and translated later with ``tr`` (the
    gettext convention); returns it unchanged. The catalogue test finds every ``N_``."""
    return msgid


def _from_table(table: Mapping[str, str], lang: str) -> str:
    return table.get(lang) or table.get("en") or next(iter(table.values()), "")


def text(what: Text, lang: str, spec: ExerciseSpec | None = None, **fmt: object) -> str:
    """The one lookup: ``what`` in ``lang``.

    - a ``str`` is a msgid, translated by the catalogues (``fmt`` fills ``{name}``);
    - a mapping is a data file's table ``{"zh_CN": ..., "en": ...}`` (English when the
      language is missing);
    - a vision ``Cue`` names a msgid (framing hints, generic messages) or a text key of
      the exercise ``spec`` (form cues, tips); an unknown key gives "".
    """
    if isinstance(what, str):
        return tr(what, lang, **fmt)
    if isinstance(what, Mapping):
        return _from_table(what, lang)
    if what.msgid:
        return tr(what.msgid, lang, **fmt)
    if what.text_key and spec is not None and spec.has_text(what.text_key):
        return _from_table(spec.text(what.text_key), lang)
    return ""


COUNT_WORDS_ZH = "零一二三四五六七八九十"


def spoken_number(n: int, lang: str) -> str:
    """``n`` as the voice should say it: Chinese numerals for zh_CN (up to 99), else digits."""
    if lang != "zh_CN" or not 0 <= n < 100:
        return str(n)
    if n <= 10:
        return COUNT_WORDS_ZH[n]
    tens, ones = divmod(n, 10)
    return (COUNT_WORDS_ZH[tens] if tens > 1 else "") + "十" + (COUNT_WORDS_ZH[ones] if ones else "")
