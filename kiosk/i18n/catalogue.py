"""Reading and compiling gettext catalogues, without the ``msgfmt`` tool.

Why this module exists: the catalogues are ordinary ``.po`` files; they are
compiled to the binary ``.mo`` form in memory when loaded (the same format
``msgfmt`` writes) so a stale compiled file can never be shipped, and a
broken catalogue is an error naming the file and line.
"""

from __future__ import annotations

import ast
import struct


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
