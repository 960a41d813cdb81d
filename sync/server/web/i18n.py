"""The manager pages in Chinese and English: a gettext catalogue of their own.

Why this module exists: the pages' texts are not the kiosk's, so they have
their own domain (``sync/server/web/locale/<lang>/LC_MESSAGES/web.po``), read
the same way as the kiosk's catalogues (:mod:`kiosk.i18n`, compiled in memory
so a stale ``.mo`` can never be served). Message ids are the English texts;
``{name}`` placeholders are filled after translation.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

from kiosk.i18n import compile_mo, parse_po

LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"
DOMAIN = "web"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}

Translate = Callable[..., str]


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    path = po_path(lang)
    entries = parse_po(path.read_text(encoding="utf-8"), str(path))
    entries.setdefault("", "Content-Type: text/plain; charset=UTF-8\n")
    return gettext.GNUTranslations(io.BytesIO(compile_mo(entries)))


def translator(lang: str) -> Translate:
    """``_(msgid, **fmt)`` for one language."""
    t = translations(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)

    def _(msgid: str, **fmt: object) -> str:
        text = t.gettext(msgid)
        return text.format(**fmt) if fmt else text

    return _


def negotiate(cookie: str | None, accept_language: str | None, fallback: str) -> str:
    """The page language: the manager's pick (cookie), else the browser's, else ``fallback``."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return fallback if fallback in LANGUAGES else DEFAULT_LANGUAGE
