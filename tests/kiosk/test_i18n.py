"""Every text a resident can see is in both languages and every glyph of it is in the font.

Texts chosen in code (any package, Python and kv) are msgids in both catalogues; texts that
come with data (exercise files today, lesson bundles tomorrow: every TOML and JSON file in
the packages) are tables with a Chinese and an English text; and every character that can
be drawn (catalogues, data texts, symbols and icons in code and kv) is in the CJK font.
"""

from __future__ import annotations

import gettext
import io
import json
import re
import tokenize
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import i18n
from kiosk.startup.fonts import FontMissingError, find_cjk_fonts

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ["kiosk", "vision", "hardware", "content", "sync"]
# app.t('...') / tr("...") / text("...") in kv and Python, and msgids chosen in code
# (N_("...")); not ``spec.text("title")``, which names a text in an exercise file.
CALL = re.compile(
    r"""(?:(?<![\w.])(?:t|tr|text|N_)|\bapp\.t|\bi18n\.(?:tr|text))\(\s*(['"])(.+?)\1""")


def package_files(*suffixes: str) -> list[Path]:
    return [p for pkg in PACKAGES for p in (REPO / pkg).rglob("*")
            if p.suffix in suffixes and "__pycache__" not in p.parts and p.is_file()]


def used_msgids() -> set[str]:
    found: set[str] = set()
    for path in package_files(".kv", ".py"):
        for m in CALL.finditer(path.read_text(encoding="utf-8")):
            found.add(m.group(2))
    # msgids vision hands to the kiosk (it cannot mark them with the kiosk's N_)
    from vision.engine import FRAMING_MSGIDS, GOOD_TIP_MSGID

    found |= set(FRAMING_MSGIDS.values()) | {GOOD_TIP_MSGID}
    # every feature's tile and screen titles, however they were written
    from kiosk.features.registry import discover

    for f in discover():
        found |= {f.title, f.subtitle} | {s.title for s in f.screens}
    # a msgid may start with a placeholder ("{n} seconds"); a lone "{...}" is not a msgid
    return {m for m in found if m and m != "..." and not re.fullmatch(r"\{[^{}]*\}", m)}


def data_texts() -> Iterator[tuple[str, dict[str, str]]]:
    """(where, {"zh_CN": ..., "en": ...}) for every language table in the packages' data files."""
    def walk(node: object, where: str) -> Iterator[tuple[str, dict[str, str]]]:
        if isinstance(node, dict):
            if set(node) & set(i18n.LANGUAGES):
                yield where, {k: v for k, v in node.items() if k in i18n.LANGUAGES}
                return
            for k, v in node.items():
                yield from walk(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from walk(v, f"{where}[{i}]")

    for path in package_files(".toml", ".json"):
        raw = path.read_text(encoding="utf-8")
        data = tomllib.loads(raw) if path.suffix == ".toml" else json.loads(raw)
        yield from walk(data, str(path.relative_to(REPO)))


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_catalogue_covers_every_text_on_screen(lang):
    entries = i18n.parse_po(i18n.po_path(lang).read_text(encoding="utf-8"))
    missing = sorted(used_msgids() - set(entries))
    assert not missing, f"{lang} catalogue lacks: {missing}"


def test_the_scan_finds_texts_in_every_kind_of_place():
    used = used_msgids()
    assert "Back" in used  # kv
    assert "Go!" in used  # N_ in kiosk/session
    assert "Please step back" in used  # vision's framing msgids
    assert "My records" in used  # a feature declaration
    places = {where.split(".")[0].split("/")[0] for where, _ in data_texts()}
    assert "vision" in places


def test_every_data_text_is_in_both_languages():
    seen = 0
    for where, table in data_texts():
        seen += 1
        for lang in i18n.LANGUAGES:
            assert isinstance(table.get(lang), str) and table[lang].strip(), (where, lang)
        assert table["zh_CN"] != table["en"] or not re.search("[A-Za-z]{3}", table["en"]), where
    assert seen >= 9 * 3  # nine exercises, each with a title, a description and cues


def test_the_one_lookup_reads_catalogues_data_and_cues():
    from vision.engine import Cue
    from vision.exercises import load_exercises

    squat = load_exercises()["squat"]
    assert i18n.text("Home", "zh_CN") == "首页"
    assert i18n.text("Resident #{tail}", "en", tail="9f") == "Resident #9f"
    assert i18n.text({"zh_CN": "深蹲", "en": "Squat"}, "zh_CN") == "深蹲"
    assert i18n.text({"en": "Squat"}, "zh_CN") == "Squat"
    assert i18n.text(squat.text("title"), "en") == "Squat"
    assert i18n.text(Cue("one_person", msgid="Only one person, please"), "zh_CN") == \
        "请只留一个人在画面中"
    assert i18n.text(Cue("squat_depth", text_key="cue.squat_depth"), "zh_CN", spec=squat) == \
        "再蹲低一点"
    assert i18n.text(Cue("x", text_key="cue.nothing"), "en", spec=squat) == ""


def test_chinese_differs_from_english_for_every_entry():
    zh = i18n.parse_po(i18n.po_path("zh_CN").read_text(encoding="utf-8"))
    same = [k for k, v in zh.items()
            if k and v == k and re.search("[A-Za-z]{3}", re.sub(r"\{[a-z_]+\}", "", k))]
    assert not same, f"untranslated in zh_CN: {same}"


def test_compiled_catalogue_is_read_by_gettext():
    mo = i18n.compile_mo({"": "Content-Type: text/plain; charset=UTF-8\n", "Home": "首页"})
    t = gettext.GNUTranslations(io.BytesIO(mo))
    assert t.gettext("Home") == "首页"
    assert t.gettext("Unknown") == "Unknown"


def test_placeholders_survive_translation():
    assert i18n.tr("Resident #{tail}", "zh_CN", tail="1a2b") == "居民 #1a2b"
    assert i18n.tr("Resident #{tail}", "en", tail="1a2b") == "Resident #1a2b"


def test_bad_po_file_is_named():
    with pytest.raises(i18n.CatalogueError, match="x.po:2"):
        i18n.parse_po('msgid "a"\nbogus\n', "x.po")
    with pytest.raises(i18n.CatalogueError):
        i18n.translations("fr")


def drawable_characters() -> dict[str, str]:
    """Every non-ASCII character that can be drawn, with one place it comes from."""
    where: dict[str, str] = {}

    def add(chars: str, source: str) -> None:
        for ch in chars:
            if ord(ch) > 127 and ch.strip():
                where.setdefault(ch, source)

    for lang in i18n.LANGUAGES:
        add("".join(i18n.parse_po(i18n.po_path(lang).read_text(encoding="utf-8")).values()),
            f"{lang} catalogue")
    for source, table in data_texts():
        add("".join(table.values()), source)
    for path in package_files(".kv"):
        add(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))
    for path in package_files(".py"):  # string literals: symbols, icons, stars, digits
        with path.open(encoding="utf-8") as f:
            for tok in tokenize.generate_tokens(f.readline):
                if tok.type == tokenize.STRING:
                    add(tok.string, f"{path.relative_to(REPO)}:{tok.start[0]}")
    return where


def test_every_character_that_can_be_drawn_is_in_the_font(tmp_path):
    from fontTools.ttLib import TTFont

    fonts = find_cjk_fonts(tmp_path)
    cmap = TTFont(str(fonts.regular), lazy=True, fontNumber=0).getBestCmap()
    chars = drawable_characters()
    for symbol in "◀●○♥★☆◎✓":  # the shell's and the choose screen's symbols are checked
        assert symbol in chars, symbol
    from kiosk.features.registry import discover

    for f in discover():
        assert f.icon in chars, f.id
    missing = {ch: src for ch, src in chars.items() if ord(ch) not in cmap}
    assert not missing, f"glyphs missing from {fonts.regular}: {missing}"


def test_missing_font_names_the_package(tmp_path):
    with pytest.raises(FontMissingError, match="fonts-noto-cjk"):
        find_cjk_fonts(tmp_path, search_dirs=[tmp_path / "nothing"])


def test_missing_font_stops_kiosk_run_with_a_clear_message(tmp_path):
    import os
    import subprocess
    import sys

    code = ("import kiosk.startup.fonts as f; f._SEARCH_DIRS[:] = []; "
            "from kiosk.cli import main; raise SystemExit(main(['run']))")
    env = dict(os.environ, KIOSK_DATA_DIR=str(tmp_path), KIOSK_CACHE_DIR=str(tmp_path / "c"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env=env)
    assert result.returncode == 2
    assert "fonts-noto-cjk" in result.stderr and "Traceback" not in result.stderr
