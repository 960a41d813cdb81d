"""Find the CJK font every label uses, so Chinese renders instead of boxes.

Why this module exists: Kivy's bundled Roboto has no Chinese glyphs. Debian's
``fonts-noto-cjk`` ships Noto Sans CJK only as TrueType collections whose
first face is the Japanese one; Kivy's SDL2 text provider always opens face 0.
We copy the Simplified Chinese face (and its bold) out of the collection once
into the cache directory, so simplified characters get their Chinese forms.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

FONT_PACKAGE = "fonts-noto-cjk"
_SEARCH_DIRS = [
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/noto-cjk"),
    Path("/usr/share/fonts/opentype/noto-cjk"),
    Path("/usr/share/fonts/google-noto-cjk"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
]
_SC_FACE_NAME = "Noto Sans CJK SC"


class FontMissingError(RuntimeError):
    """No CJK font was found; the message names the package to install."""


@dataclass(frozen=True)
class FontFiles:
    regular: Path
    bold: Path


def _find(name: str, dirs: list[Path]) -> Path | None:
    for d in dirs:
        for candidate in (d / name, *d.rglob(name)) if d.is_dir() else ():
            if candidate.is_file():
                return candidate
    return None


def _extract_face(collection: Path, face_name: str, cache_dir: Path) -> Path:
    """Copy one face out of a .ttc into ``cache_dir`` (once) and return its path."""
    out = cache_dir / f"{face_name.replace(' ', '')}-{collection.stem}.otf"
    if out.is_file() and out.stat().st_mtime >= collection.stat().st_mtime:
        return out
    from fontTools.ttLib import TTCollection

    coll = TTCollection(str(collection), lazy=True)
    for font in coll.fonts:
        if font["name"].getDebugName(4) == face_name:
            cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(".tmp")
            font.save(str(tmp))
            tmp.replace(out)
            log.info("extracted %s from %s to %s", face_name, collection, out)
            return out
    return collection  # no SC face: face 0 still has the CJK glyphs


def find_cjk_fonts(cache_dir: Path, search_dirs: list[Path] | None = None) -> FontFiles:
    """Return regular and bold font files with Chinese glyphs, or raise FontMissingError."""
    dirs = search_dirs if search_dirs is not None else _SEARCH_DIRS
    regular = _find("NotoSansCJK-Regular.ttc", dirs) or _find("NotoSansCJKsc-Regular.otf", dirs)
    if regular is None:
        raise FontMissingError(
            "No Chinese font found (looked for Noto Sans CJK in "
            + ", ".join(str(d) for d in dirs)
            + f"). Install the Debian package '{FONT_PACKAGE}': sudo apt-get install {FONT_PACKAGE}"
        )
    bold = _find("NotoSansCJK-Bold.ttc", dirs) or _find("NotoSansCJKsc-Bold.otf", dirs) or regular
    if regular.suffix == ".ttc":
        try:
            regular = _extract_face(regular, _SC_FACE_NAME, cache_dir)
            if bold.suffix == ".ttc":
                bold = _extract_face(bold, _SC_FACE_NAME, cache_dir)
        except OSError as exc:  # read-only cache: face 0 still renders Chinese
            log.warning("could not extract the SC face (%s); using the collection as is", exc)
    return FontFiles(regular=regular, bold=bold)
