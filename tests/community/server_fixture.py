"""A real server on 127.0.0.1 with two communities' kiosks, for the community-life tests.

Items are published through :mod:`sync.server.community.items` (what the manager
pages call); records arrive through the real ingest API with kiosk tokens.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from sync.community import Challenge, Event, Poll, Text
from sync.records import EventSignup, ExerciseSession, Feedback, PollVote, Record, ResidentProfile
from sync.server.community import ingest, items
from sync.server.db import Database
from tests.sync.helpers import ThreadServer

KIOSKS = {"a1": "east", "a2": "east", "b1": "west"}
NOW = datetime.now(UTC)


@dataclass
class Server:
    url: str
    db: Database
    tokens: dict[str, str]
    handle: ThreadServer

    def auth(self, kiosk: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[kiosk]}"}

    def post(self, kiosk: str, recs: Sequence[Record]) -> requests.Response:
        return requests.post(
            f"{self.url}/api/v1/records",
            json={"records": [r.to_json_dict() for r in recs]},
            headers=self.auth(kiosk),
            timeout=30,
        )

    def get(self, kiosk: str | None, path: str, **headers: str) -> requests.Response:
        h = dict(headers)
        if kiosk is not None:
            h.update(self.auth(kiosk))
        return requests.get(self.url + path, headers=h, timeout=30)

    def publish(self, community: str, model: Any, kind: items.ItemKind, targets: Sequence[str] = ()) -> None:
        with self.db.engine.begin() as conn:
            items.save(conn, community, model, kind=kind, by="test", now=datetime.now(UTC), targets=targets)
            if isinstance(model, Challenge):
                ingest.recount(conn, model, community)


def text(en: str, zh: str = "") -> Text:
    return Text(en=en, zh_CN=zh or en)


def challenge(cid: str = "ch-squats", **over: Any) -> Challenge:
    fields: dict[str, Any] = dict(
        id=cid,
        title=text("20,000 squats", "两万个深蹲"),
        metric="repetitions",
        activities=["squat"],
        goal=20000,
        starts_at=NOW - timedelta(days=1),
        ends_at=NOW + timedelta(days=30),
    )
    fields.update(over)
    return Challenge(**fields)


def poll(pid: str = "po-class", **over: Any) -> Poll:
    fields: dict[str, Any] = dict(
        id=pid,
        title=text("Which class should we add?", "增加哪门课?"),
        choices=[text("Tai chi", "太极"), text("Dance", "广场舞"), text("Yoga", "瑜伽")],
        starts_at=NOW - timedelta(hours=2),
        ends_at=NOW + timedelta(days=7),
    )
    fields.update(over)
    return Poll(**fields)


def event(eid: str = "ev-walk", **over: Any) -> Event:
    fields: dict[str, Any] = dict(
        id=eid,
        title=text("Morning walk", "晨走"),
        place=text("Gate 2", "二号门"),
        capacity=2,
        starts_at=NOW + timedelta(days=2),
        ends_at=NOW + timedelta(days=2, hours=2),
    )
    fields.update(over)
    return Event(**fields)


def squats(kiosk: str, resident: str, reps: int, at: datetime | None = None,
           exercise: str = "squat", uid: str | None = None) -> ExerciseSession:
    end = at or NOW - timedelta(minutes=5)
    return ExerciseSession(
        uuid=uuid.UUID(uid) if uid else uuid.uuid4(),
        kiosk_id=kiosk,
        resident=resident,
        exercise=exercise,
        target={"value": 10, "unit": "reps"},
        unit="reps",
        value=reps,
        repetitions=reps,
        good_repetitions=reps,
        rep_flags=[[] for _ in range(reps)],
        duration_s=60.0,
        started_at=end - timedelta(seconds=60),
        ended_at=end,
        utc_offset_min=480,
        completed=True,
    )


def vote(kiosk: str, resident: str, poll_id: str, choices: list[int],
         at: datetime | None = None) -> PollVote:
    return PollVote(kiosk_id=kiosk, resident=resident, poll_id=poll_id, choices=choices,
                    voted_at=at or NOW - timedelta(minutes=1), utc_offset_min=480)


def signup(kiosk: str, resident: str, event_id: str, action: str = "sign_up",
           at: datetime | None = None) -> EventSignup:
    return EventSignup(kiosk_id=kiosk, resident=resident, event_id=event_id, action=action,
                       decided_at=at or NOW, utc_offset_min=480)


def feedback(kiosk: str, resident: str, topic: str = "equipment_broken", rating: int = 2,
             comment: str = "") -> Feedback:
    return Feedback(kiosk_id=kiosk, resident=resident, topic=topic, rating=rating,
                    text=comment, created_at=NOW - timedelta(minutes=3), utc_offset_min=480)


def profile(kiosk: str, resident: str, age_group: str = "70-74", team: str | None = None,
            nickname: str | None = None, updated_at: datetime | None = None) -> ResidentProfile:
    return ResidentProfile(kiosk_id=kiosk, resident=resident, age_group=age_group, team=team,
                           nickname=nickname, updated_at=updated_at or NOW - timedelta(days=3),
                           utc_offset_min=480)


def results(resp: requests.Response) -> dict[str, tuple[str, str]]:
    """uuid -> (status, first error message)."""
    out = {}
    for r in resp.json()["results"]:
        errs = r.get("errors") or []
        out[r["uuid"]] = (r["status"], errs[0]["message"] if errs else "")
    return out
