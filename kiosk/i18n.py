"""Translations: gettext catalogues for zh_CN and en, switchable at run time.

Why this module exists: every text a resident sees exists in Chinese and
English, and the language changes with one tap on any screen. The catalogues
are ordinary gettext ``.po`` files under ``kiosk/locale/<lang>/LC_MESSAGES``;
they are compiled to the binary ``.mo`` form in memory when loaded (the same
format ``msgfmt`` writes) so a stale compiled file can never be shipped.
Message ids are the English texts.
"""

from __future__ import annotations

import ast
import gettext
import io
import struct
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vision.engine import Cue
    from vision.exercises import ExerciseSpec

LANGUAGES = ("zh_CN", "en")
DOMAIN = "kiosk"
LOCALE_DIR = Path(__file__).parent / "locale"


class CatalogueError(ValueError):
    pass


def parse_po(text: str, source: str = "<po>") -> dict[str, str]:
    """Parse a .po file into {msgid: msgstr}; untranslated entries are left out."""
    entries: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None

    def flush() -> None:
        if msgid is not None and msgstr is not None:
            mid, mstr = "".join(msgid), "".join(msgstr)
            if mstr or mid == "":
                entries[mid] = mstr

    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            if line.startswith("msgid "):
                flush()
                msgid, msgstr = [ast.literal_eval(line[6:])], None
                current = msgid
            elif line.startswith("msgstr "):
                msgstr = [ast.literal_eval(line[7:])]
                current = msgstr
            elif line.startswith('"') and current is not None:
                current.append(ast.literal_eval(line))
            else:
                raise CatalogueError(f"{source}:{n}: unexpected line {raw!r}")
        except (SyntaxError, ValueError) as exc:
            raise CatalogueError(f"{source}:{n}: bad string {raw!r} ({exc})") from None
    flush()
    return entries


def compile_mo(entries: dict[str, str]) -> bytes:
    """Serialise a catalogue to the GNU .mo format (what msgfmt produces)."""
    keys = sorted(entries)
    ids = [k.encode("utf-8") for k in keys]
    strs = [entries[k].encode("utf-8") for k in keys]
    n = len(keys)
    header_size = 7 * 4
    ids_table = header_size
    strs_table = ids_table + n * 8
    data_start = strs_table + n * 8
    offsets_ids, offsets_strs, blob = [], [], b""
    for b in ids:
        offsets_ids.append((len(b), data_start + len(blob)))
        blob += b + b"\0"
    for b in strs:
        offsets_strs.append((len(b), data_start + len(blob)))
        blob += b + b"\0"
    out = struct.pack("<7I", 0x950412DE, 0, n, ids_table, strs_table, 0, 0)
    out += b"".join(struct.pack("<2I", *o) for o in offsets_ids)
    out += b"".join(struct.pack("<2I", *o) for o in offsets_strs)
    return out + blob


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


def pick(texts: dict[str, str], lang: str) -> str:
    """Choose from a {"zh_CN": ..., "en": ...} dict (content from data files)."""
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


def cue_text(cue: Cue, spec: ExerciseSpec | None, lang: str) -> str:
    """The text of a vision ``Cue`` (framing hint, form cue, tip): the catalogue's
    translation of its msgid, else the exercise's own text for its text key."""
    if cue.msgid:
        return tr(cue.msgid, lang)
    if cue.text_key and spec is not None and spec.has_text(cue.text_key):
        return pick(spec.text(cue.text_key), lang)
    return ""
