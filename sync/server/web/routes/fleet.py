"""Fleet: every kiosk's health from its last heartbeat; stale and failing kiosks first.

Why this module exists: a manager must know which stations are broken before
residents complain. A kiosk's heartbeat (``sync.api.HeartbeatRequest``) says
its app version, installed content, records waiting, last sync and the state
of its parts (camera, sensors, ...). A kiosk silent for longer than
``WebSettings.stale_after_s`` is *stale*; one reporting a part in error is
*failing*; both are listed first. Heartbeats from older kiosks carry fewer
facts; what is missing is shown as unknown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Connection, select

from sync.server.tables import kiosks
from sync.server.web import queries
from sync.server.web.aggregates import ALL
from sync.server.web.pages import (
    BadRequest,
    Login,
    known_communities,
    register_nav,
    render,
    resolve_community,
    web_router,
    web_state,
)

router = web_router()
register_nav("/fleet", "Fleet", 20)

SORTS = ("problems", "name", "community", "last_seen", "waiting", "version")
PART_AREAS = ("camera", "sensors")


@dataclass(frozen=True)
class Part:
    area: str
    name: str
    state: str
    detail: str


@dataclass
class KioskStatus:
    name: str
    community: str
    last_seen: datetime | None
    silent_s: float | None
    app_version: str = ""
    content: dict[str, str] = field(default_factory=dict)
    waiting: int | None = None
    rejected: int | None = None
    last_sync: datetime | None = None
    parts: list[Part] = field(default_factory=list)
    stale: bool = False
    records_7d: int = 0

    @property
    def failing(self) -> list[Part]:
        return [p for p in self.parts if p.state == "error"]

    @property
    def warnings(self) -> list[Part]:
        return [p for p in self.parts if p.state == "warning"]

    @property
    def problem(self) -> bool:
        return self.stale or bool(self.failing)

    def parts_in(self, area: str) -> list[Part]:
        return [p for p in self.parts if p.area == area]


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_heartbeat(raw: str | None) -> dict[str, Any]:
    """The stored heartbeat JSON as a dict ({} when absent or unreadable)."""
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def kiosk_status(
    name: str,
    community: str,
    last_seen_at: str | None,
    heartbeat: dict[str, Any],
    now: datetime,
    stale_after_s: float,
) -> KioskStatus:
    seen = _time(last_seen_at)
    silent = max(0.0, (now - seen).total_seconds()) if seen else None
    parts = []
    for p in heartbeat.get("parts") or []:
        if isinstance(p, dict):
            parts.append(
                Part(
                    str(p.get("area", ""))[:32],
                    str(p.get("name", ""))[:120],
                    str(p.get("state", "unavailable"))[:20],
                    str(p.get("detail", ""))[:300],
                )
            )
    content = heartbeat.get("content") or {}
    return KioskStatus(
        name=name,
        community=community,
        last_seen=seen,
        silent_s=silent,
        app_version=str(heartbeat.get("app_version") or "")[:40],
        content={str(k)[:64]: str(v)[:40] for k, v in content.items()}
        if isinstance(content, dict)
        else {},
        waiting=_int(heartbeat.get("waiting")),
        rejected=_int(heartbeat.get("rejected")),
        last_sync=_time(heartbeat.get("last_sync_at")),
        parts=parts,
        stale=silent is None or silent > stale_after_s,
    )


def fleet(
    conn: Connection, scope: str, now: datetime, stale_after_s: float, sort: str, today_local: date
) -> list[KioskStatus]:
    """The kiosks in ``scope`` with their heartbeat facts and records of the last 7 local days."""
    q = select(kiosks.c.name, kiosks.c.community, kiosks.c.last_seen_at, kiosks.c.last_heartbeat)
    if scope != ALL:
        q = q.where(kiosks.c.community == scope)
    out = [
        kiosk_status(name, community, seen, parse_heartbeat(raw), now, stale_after_s)
        for name, community, seen, raw in conn.execute(q)
    ]
    names = [k.name for k in out]
    activity = queries.kiosk_activity(conn, names, today_local - timedelta(days=6), today_local)
    for k in out:
        k.records_7d = activity.get(k.name, 0)
    return sort_fleet(out, sort)


def sort_fleet(kiosks: list[KioskStatus], sort: str) -> list[KioskStatus]:
    """Problems first, then by the chosen column."""
    far = datetime.min.replace(tzinfo=UTC)
    keys = {
        "problems": lambda k: (not k.stale, -(k.silent_s or 0), k.name),
        "name": lambda k: k.name,
        "community": lambda k: (k.community, k.name),
        "last_seen": lambda k: (k.last_seen or far, k.name),
        "waiting": lambda k: (-(k.waiting or 0), k.name),
        "version": lambda k: (k.app_version, k.name),
    }
    ordered = sorted(kiosks, key=keys[sort])
    return sorted(ordered, key=lambda k: not k.problem)


@router.get("/fleet")
def fleet_page(
    request: Request, login: Login, community: str = "", sort: str = "problems"
) -> Response:
    if sort not in SORTS:
        raise BadRequest("unknown sort order")
    state = web_state(request)
    known = known_communities(state)
    scope = resolve_community(login, community, known)
    now = state.settings.now()
    with state.db.engine.connect() as conn:
        kiosks = fleet(
            conn, scope, now, state.settings.stale_after_s, sort, state.settings.today().date()
        )
    return render(
        request,
        "fleet.html",
        scope=scope,
        all_scope=ALL,
        communities=known,
        kiosks=kiosks,
        sort=sort,
        sorts=SORTS,
        now=now,
        stale_after_min=round(state.settings.stale_after_s / 60),
        problems=sum(1 for k in kiosks if k.problem),
    )
