"""The manager pages' catalogues: complete in both languages, translated, placeholders kept."""

from __future__ import annotations

import re

import pytest

from sync.server.web import i18n
from tests.web.catalogue import missing, used_msgids

PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::[^}]*)?\}")


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_catalogue_has_every_text_the_pages_use(lang: str) -> None:
    assert missing(lang) == [], f"{lang} catalogue lacks these texts"


def test_chinese_is_translated_and_keeps_placeholders() -> None:
    zh = i18n.parse_po(i18n.po_path("zh_CN").read_text(encoding="utf-8"))
    for msgid in used_msgids():
        text = zh[msgid]
        plain = PLACEHOLDER.sub("", msgid)
        if re.search("[A-Za-z]{3}", plain):
            assert text != msgid, f"untranslated: {msgid!r}"
            assert re.search("[\u4e00-\u9fff]", text), f"no Chinese in {text!r}"
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(msgid)), msgid


def test_translator_fills_placeholders_in_both_languages() -> None:
    zh, en = i18n.translator("zh_CN"), i18n.translator("en")
    assert zh("{n} kiosks, {p} need attention.", n=3, p=1) == "共 3 个站点，1 个需要处理。"
    assert en("{n} kiosks, {p} need attention.", n=3, p=1) == "3 kiosks, 1 need attention."
    assert zh("{year}-{month:02d}", year=2026, month=3) == "2026年3月"
    assert en("{year}-{month:02d}", year=2026, month=3) == "2026-03"


@pytest.mark.parametrize(
    ("cookie", "accept", "fallback", "want"),
    [
        ("en", "zh-CN,zh;q=0.9", "zh_CN", "en"),
        (None, "zh-CN,zh;q=0.9", "en", "zh_CN"),
        (None, "en-US,en;q=0.8", "zh_CN", "en"),
        ("xx", "fr", "en", "en"),
        (None, None, "bogus", "zh_CN"),
    ],
)
def test_language_negotiation(
    cookie: str | None, accept: str | None, fallback: str, want: str
) -> None:
    assert i18n.negotiate(cookie, accept, fallback) == want
