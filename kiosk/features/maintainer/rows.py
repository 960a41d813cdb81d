"""The status page's rows: every part of the kiosk, as its service reports it, free of Kivy.

Why this module exists: the maintainer must see every part of the station,
including the ones this kiosk does not have yet, so a part no service
reports on is listed as "not yet available" instead of silently missing,
and a service whose ``status()`` raises shows as an error row rather than
breaking the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kiosk.i18n import N_
from kiosk.services.base import Service, StatusRow

# Parts of the kiosk the status page always lists, in this order.
STATUS_AREAS: dict[str, str] = {
    "camera": N_("Camera"),
    "vision": N_("Pose model"),
    "sensors": N_("Serial devices"),
    "residents": N_("Residents"),
    "store": N_("Store"),
    "sync": N_("Sync"),
    "content": N_("Content"),
    "voice": N_("Voice"),
}

STATE_TEXT: dict[str, str] = {
    "ok": N_("Working"),
    "warning": N_("Warning"),
    "error": N_("Error"),
    "unavailable": N_("Unavailable"),
    "not_available_yet": N_("Not yet available"),
}

STATE_COLOURS = {
    "ok": "ok",
    "warning": "warning",
    "error": "error",
    "unavailable": "error",
    "not_available_yet": "muted",
}

# Extra facts a service reports on a status row, shown under its detail.
EXTRA_LABELS: dict[str, str] = {
    "last_reading": N_("Last reading"),
    "readings": N_("Readings"),
    "rejected": N_("Rejected"),
    "errors": N_("Errors"),
    "reconnects": N_("Reconnects"),
    "waiting": N_("Waiting"),
    "when": N_("When"),
    "fps": N_("Frames per second"),
    "reopened": N_("Reopened"),
    "restarts": N_("Restarts"),
    "key_source": N_("Key from"),
}
EXTRA_HIDDEN = {"driver", "state", "port", "records", "files", "simulated"}

NOT_YET = N_("Not yet available on this kiosk")


def collect_status(services: Iterable[Service]) -> list[StatusRow]:
    """Every service's rows, then a "not yet available" row for each area nobody reported,
    sorted by area. The filler's detail is a msgid (``NOT_YET``) for the page to translate."""
    rows: list[StatusRow] = []
    for svc in services:
        try:
            rows.extend(svc.status())
        except Exception as exc:  # the page must show a broken part, not crash
            rows.append(StatusRow(getattr(svc, "name", "?"), "", "error", repr(exc)))
    present = {r.area for r in rows}
    rows += [StatusRow(area, "", "not_available_yet", NOT_YET)
             for area in STATUS_AREAS if area not in present]
    order = {a: i for i, a in enumerate(STATUS_AREAS)}
    return sorted(rows, key=lambda r: order.get(r.area, len(order)))


def detail_text(row: StatusRow, label: Callable[[str], str]) -> str:
    """The row's detail plus its extra facts, labels translated by ``label``."""
    facts = [f"{label(EXTRA_LABELS.get(k, k))}: {v}" for k, v in row.extra.items()
             if v not in ("", None) and k not in EXTRA_HIDDEN]
    detail = label(row.detail) if row.state == "not_available_yet" else row.detail
    return detail + ("\n" + " · ".join(facts) if facts else "")
