"""Both catalogues are complete, parse, compile, and every Chinese glyph is in the font."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest

from kiosk import i18n
from kiosk.startup.fonts import FontMissingError, find_cjk_fonts

KIOSK = Path(i18n.__file__).parents[1]
# t('...') / tr("...") in kv and Python, and msgids chosen in code (N_("...")).
CALL = re.compile(r"""\b(?:t|tr|N_)\(\s*(['"])(.+?)\1""")


def used_msgids() -> set[str]:
    found: set[str] = set()
    for path in list(KIOSK.rglob("*.kv")) + list(KIOSK.rglob("*.py")):
        for m in CALL.finditer(path.read_text(encoding="utf-8")):
            found.add(m.group(2))
    return {m for m in found if m and m != "..." and not m.startswith("{")}


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_catalogue_covers_every_text_on_screen(lang):
    entries = i18n.parse_po(i18n.po_path(lang).read_text(encoding="utf-8"))
    missing = sorted(used_msgids() - set(entries))
    assert not missing, f"{lang} catalogue lacks: {missing}"


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


def test_every_character_in_the_catalogues_is_in_the_font(tmp_path):
    from fontTools.ttLib import TTFont

    fonts = find_cjk_fonts(tmp_path)
    cmap = TTFont(str(fonts.regular), lazy=True, fontNumber=0).getBestCmap()
    texts = "".join("".join(i18n.parse_po(i18n.po_path(lang).read_text(encoding="utf-8")).values())
                    for lang in i18n.LANGUAGES)
    texts += "◀●○♥★◎✓"  # symbols used in kv files
    missing = sorted({ch for ch in texts if ch.strip() and ord(ch) not in cmap})
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
