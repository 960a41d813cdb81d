"""Chinese line breaking: no line starts with closing punctuation, Latin words stay whole."""

from __future__ import annotations

from kiosk.i18n.linebreak import CLOSING, OPENING, break_lines, units


def width1(s: str) -> float:
    """Every character one unit wide (a monospace stand-in for the font's measure)."""
    return float(len(s))


def test_a_comma_never_starts_a_line():
    text = "腿有力气，起身、上楼、提菜都更轻松，也更不容易跌倒。"
    # Kivy's own wrapping at 17 characters gives a line starting with "，"
    lines = break_lines(text, 17, width1)
    assert "".join(lines) == text
    assert all(line[0] not in CLOSING for line in lines), lines
    assert lines[0].endswith("轻") and lines[1].startswith("松，")
    for width in range(3, 30):
        lines = break_lines(text, width, width1)
        assert "".join(lines) == text
        assert all(line[0] not in CLOSING and line[-1] not in OPENING for line in lines), lines
        assert all(len(line) <= width for line in lines), (width, lines)


def test_opening_marks_stay_with_what_follows_and_latin_words_stay_whole():
    lines = break_lines("您学完了《护膝深蹲》课程", 5, width1)
    assert all(not line.endswith("《") for line in lines), lines
    assert [u for u, _ in units("Mixed 中文 text，好的")] == ["Mixed", "中", "文", "text，", "好", "的"]
    lines = break_lines("Stand tall, feet hip-width apart", 12, width1)
    assert lines == ["Stand tall,", "feet", "hip-width", "apart"]
    assert break_lines("第一行\n第二行", 10, width1) == ["第一行", "第二行"]
    assert break_lines("", 10, width1) == [""]


def test_a_word_wider_than_the_line_is_split():
    assert break_lines("abcdefghij", 4, width1) == ["abcd", "efgh", "ij"]
