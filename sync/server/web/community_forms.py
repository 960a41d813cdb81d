"""Reading the community-life forms: pure functions from form fields to the contract's models.

Why this module exists: managers type titles in two languages, pick times in the
community's time zone, list choices one per line; the item that reaches kiosks is a
strict :mod:`sync.community` model. Each function here takes the posted fields and
returns a model or raises :class:`FormError` naming the field and the problem, so a
bad form is a clear message, never a traceback, and the rules are testable without
a browser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any, get_args

from pydantic import ValidationError

from sync.community import Announcement, Challenge, Event, Metric, Poll, Text

ITEM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
METRICS: tuple[str, ...] = get_args(Metric)
Form = Mapping[str, Any]


class FormError(ValueError):
    """A posted form cannot make an item: ``message`` says which field and why."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def field(form: Form, name: str, limit: int = 2000) -> str:
    value = form.get(name, "")
    if not isinstance(value, str):
        raise FormError(f"field {name} must be text")
    value = value.strip()
    if len(value) > limit:
        raise FormError(f"field {name} is longer than {limit} characters")
    return value


def text(form: Form, name: str, required: bool = True, limit: int = 2000) -> Text | None:
    """``{name}_zh`` and ``{name}_en`` as a :class:`Text` (one of them may be empty)."""
    zh, en = field(form, f"{name}_zh", limit), field(form, f"{name}_en", limit)
    if not zh and not en:
        if required:
            raise FormError(f"{name}: write it in Chinese or English")
        return None
    return Text(zh_CN=zh, en=en)


def local_time(form: Form, name: str, tz: tzinfo) -> datetime:
    """A ``datetime-local`` field (``2026-03-01T08:00``) in the community's time zone, as UTC."""
    value = field(form, name, 40)
    if not value:
        raise FormError(f"{name}: a date and time is needed")
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise FormError(f"{name}: not a date and time ({value[:40]})") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=tz)
    return t.astimezone(UTC)


def as_local_input(t: datetime, tz: tzinfo) -> str:
    """The value of a ``datetime-local`` field showing ``t`` in the community's time zone."""
    return t.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def number(form: Form, name: str, *, required: bool = True, integer: bool = False) -> float | None:
    value = field(form, name, 40)
    if not value:
        if required:
            raise FormError(f"{name}: a number is needed")
        return None
    try:
        n = int(value) if integer else float(value)
    except ValueError:
        raise FormError(f"{name}: not a {'whole ' if integer else ''}number ({value[:40]})") from None
    if n != n or n in (float("inf"), float("-inf")):
        raise FormError(f"{name}: not a number")
    return n


def words(value: str) -> list[str]:
    """Ids separated by commas, spaces or new lines."""
    return [w for w in re.split(r"[\s,，]+", value) if w]


def _model(cls: type[Any], **fields: Any) -> Any:
    try:
        return cls(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "form"
        raise FormError(f"{where}: {first['msg']}") from None


def challenge(
    form: Form, item_id: str, tz: tzinfo, kiosks: Sequence[str], chosen_kiosks: Sequence[str]
) -> Challenge:
    metric = field(form, "metric", 32)
    if metric not in METRICS:
        raise FormError("metric: choose what the challenge counts")
    scope = field(form, "scope", 16) or "community"
    if scope not in ("community", "kiosks", "team"):
        raise FormError("scope: community, some kiosks or a team")
    picked = [k for k in chosen_kiosks if k]
    unknown = [k for k in picked if k not in kiosks]
    if unknown:
        raise FormError(f"kiosks: {unknown[0]} is not a kiosk of this community")
    if scope == "kiosks" and not picked:
        raise FormError("kiosks: pick the kiosks whose records count")
    team = field(form, "team", 64) or None
    if scope == "team":
        if not team or not ITEM_ID.match(team):
            raise FormError("team: letters, digits, '.', '_' or '-' (e.g. building-3)")
    activities = words(field(form, "activities", 3000))
    return _model(
        Challenge,
        id=item_id,
        title=text(form, "title", limit=200),
        description=text(form, "description", required=False),
        metric=metric,
        activities=activities,
        goal=number(form, "goal"),
        scope=scope,
        kiosks=picked if scope == "kiosks" else [],
        team=team if scope == "team" else None,
        starts_at=local_time(form, "starts_at", tz),
        ends_at=local_time(form, "ends_at", tz),
    )


def event(form: Form, item_id: str, tz: tzinfo) -> Event:
    capacity = number(form, "capacity", required=False, integer=True)
    return _model(
        Event,
        id=item_id,
        title=text(form, "title", limit=200),
        description=text(form, "description", required=False),
        place=text(form, "place", limit=200),
        capacity=None if capacity is None else int(capacity),
        starts_at=local_time(form, "starts_at", tz),
        ends_at=local_time(form, "ends_at", tz),
    )


def poll(form: Form, item_id: str, tz: tzinfo) -> Poll:
    zh = [line.strip() for line in field(form, "choices_zh", 5000).splitlines()]
    en = [line.strip() for line in field(form, "choices_en", 5000).splitlines()]
    zh = zh if any(zh) else []
    en = en if any(en) else []
    while zh and not zh[-1]:
        zh.pop()
    while en and not en[-1]:
        en.pop()
    if zh and en and len(zh) != len(en):
        raise FormError(
            f"choices: {len(zh)} Chinese lines and {len(en)} English lines; one choice per line in both"
        )
    n = max(len(zh), len(en))
    if not 2 <= n <= 20:
        raise FormError("choices: between 2 and 20 choices, one per line")
    choices = []
    for i in range(n):
        c_zh = zh[i] if zh else ""
        c_en = en[i] if en else ""
        if not c_zh and not c_en:
            raise FormError(f"choices: line {i + 1} is empty")
        choices.append(_model(Text, zh_CN=c_zh[:2000], en=c_en[:2000]))
    multiple = field(form, "multiple", 8) in ("on", "1", "yes", "true")
    max_choices = number(form, "max_choices", required=False, integer=True)
    limit = int(max_choices) if multiple and max_choices is not None else (n if multiple else 1)
    return _model(
        Poll,
        id=item_id,
        title=text(form, "title", limit=2000),
        choices=choices,
        multiple=multiple,
        max_choices=min(limit, 20),
        starts_at=local_time(form, "starts_at", tz),
        ends_at=local_time(form, "ends_at", tz),
    )


def announcement(form: Form, item_id: str, tz: tzinfo, picture: bool) -> Announcement:
    return _model(
        Announcement,
        id=item_id,
        title=text(form, "title", limit=200),
        body=text(form, "body"),
        picture=picture,
        starts_at=local_time(form, "starts_at", tz),
        ends_at=local_time(form, "ends_at", tz),
    )


def resident_code(resident: str) -> str:
    """The pseudonymous id shortened for a printed list (never a name): ``3F9A-21C0``."""
    plain = re.sub(r"[^0-9A-Za-z]", "", resident).upper()
    short = (plain[-8:] if len(plain) >= 8 else plain) or "?"
    return f"{short[:4]}-{short[4:]}" if len(short) > 4 else short
