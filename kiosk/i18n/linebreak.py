"""Line breaking that follows Chinese rules: no line starts with a comma or a full stop.

Why this module exists: Kivy wraps text only at spaces and, for text without
spaces (Chinese), cuts a line wherever the next character no longer fits, so
a line may begin with "，" or "。" or end with "《" — wrong in Chinese
typography and harder to read for an older resident. ``break_lines`` breaks
a text into lines that fit a width, given a function that measures a
string, following the basic rules (禁则): closing punctuation stays at the
end of the line before it, opening punctuation with the text after it, a
Latin word or number is never split unless it alone is wider than the line.
Pure and Kivy-free; ``kiosk/shell/widgets/wrapped_label.py`` uses it.
"""

from __future__ import annotations

from collections.abc import Callable

CLOSING = frozenset("，。、；：？！）》」』】〉〕”’…·～%,.;:?!)]}")
"""Never at the start of a line."""
OPENING = frozenset("（《「『【〈〔“‘([{")
"""Never at the end of a line."""

Measure = Callable[[str], float]


def is_cjk(ch: str) -> bool:
    """A character that may be broken before or after on its own (Chinese, full-width)."""
    o = ord(ch)
    return (0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF
            or 0x3000 <= o <= 0x303F or 0x20000 <= o <= 0x2FA1F)


def units(paragraph: str) -> list[tuple[str, bool]]:
    """The pieces a line may break between: ``(text, a space before it)``."""
    out: list[tuple[str, bool]] = []
    space = False
    for ch in paragraph:
        if ch == " ":
            space = True
            continue
        if out and not space and (ch in CLOSING or out[-1][0][-1] in OPENING):
            out[-1] = (out[-1][0] + ch, out[-1][1])  # keep with the piece before
        elif (out and not space and not is_cjk(ch) and ch not in OPENING
              and not is_cjk(out[-1][0][-1]) and out[-1][0][-1] not in CLOSING):
            out[-1] = (out[-1][0] + ch, out[-1][1])  # one Latin word or number
        else:
            out.append((ch, space))
        space = False
    return out


def break_lines(text: str, width: float, measure: Measure) -> list[str]:
    """``text`` as lines no wider than ``width`` (as ``measure`` says), kept paragraphs."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for piece, space in units(paragraph):
            candidate = line + (" " if space and line else "") + piece
            if line and measure(candidate) > width:
                lines.append(line)
                line = piece
            else:
                line = candidate
            while len(line) > 1 and measure(line) > width:  # one piece wider than a line
                cut = _longest_prefix(line, width, measure)
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines


def _longest_prefix(s: str, width: float, measure: Measure) -> int:
    lo, hi = 1, len(s) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure(s[:mid]) <= width:
            lo = mid
        else:
            hi = mid - 1
    return lo
