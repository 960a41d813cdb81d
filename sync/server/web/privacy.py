"""Small numbers are not shown: a figure about fewer than 5 people reads "<5".

Why this module exists: a manager must never be able to read one resident's
records off a page, for instance "sessions at 10 pm by women aged 85-89: 3".
Every figure on a page or in an export is formatted here with the number of
people it is about: the distinct identified residents plus the guest records
(each guest record may be a different person, and none can be linked to a
resident). A count of residents is itself shown as "<5" when below 5.
A figure of zero is shown as 0 (it is about nobody).
"""

from __future__ import annotations

MIN_PEOPLE = 5
SUPPRESSED = "<5"


def hidden(people: int) -> bool:
    return 0 < people < MIN_PEOPLE


def number(value: float, digits: int = 0) -> str:
    if digits:
        return f"{value:,.{digits}f}"
    return f"{round(value):,}"


def shown(value: float | None, people: int, digits: int = 0, suffix: str = "") -> str:
    """``value`` formatted, or "<5" when it is about 1 to 4 people; "–" when there is none."""
    if value is None:
        return "–"
    if people == 0 and value == 0:
        return "0"
    if people < MIN_PEOPLE:
        return SUPPRESSED
    return number(value, digits) + suffix


def residents_shown(residents: int) -> str:
    if residents == 0:
        return "0"
    return SUPPRESSED if residents < MIN_PEOPLE else f"{residents:,}"


def chart_value(value: float | None, people: int) -> float | None:
    """A chart point: None (a gap, labelled "<5") when the figure is suppressed."""
    if value is None:
        return None
    if people == 0 and value == 0:
        return 0.0
    return None if people < MIN_PEOPLE else float(value)
