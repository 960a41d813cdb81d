"""What managers publish: challenges, events, polls and announcements, one row each.

Why this module exists: the pages write items, the ingest rules and the feed read
them; all three must agree on one storage. A row keeps the item's wire model
(``sync.community.Challenge`` and so on, without the figures the server computes)
as JSON beside the columns queries filter on (community, kind, start, end), so the
contract's own validation guards what is stored, and a field added to the contract
needs no migration. Every change bumps the community's feed version
(:func:`bump_version`) in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Row, select, update

from sync.community import Announcement, Challenge, Event, FeedbackTopic, Poll, Text
from sync.server.tables import (
    announcement_pictures,
    community_items,
    community_versions,
    feedback_topics,
    kiosks,
)

ItemKind = Literal["challenge", "event", "poll", "announcement"]
KINDS: tuple[ItemKind, ...] = ("challenge", "event", "poll", "announcement")
Item = Challenge | Event | Poll | Announcement
MODELS: dict[str, type[Item]] = {
    "challenge": Challenge,
    "event": Event,
    "poll": Poll,
    "announcement": Announcement,
}
_PREFIX = {"challenge": "ch", "event": "ev", "poll": "po", "announcement": "an"}

DEFAULT_TOPICS = "*"
"""The community of the feedback topics every community has."""

PICTURE_TYPES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
"""Picture types an announcement may carry, with the bytes each file must start with."""


def iso(t: datetime) -> str:
    """A moment as the tables store it (UTC, fixed width, sorts chronologically)."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def new_id(kind: ItemKind, now: datetime) -> str:
    """An item id: kind, day, random part (matches ``sync.records.COMMUNITY_ITEM_ID``)."""
    return f"{_PREFIX[kind]}-{now:%Y%m%d}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class StoredItem:
    id: str
    community: str
    kind: ItemKind
    model: Item
    targets: list[str]
    ended: bool
    created_by: str
    created_at: str

    def running(self, now: datetime) -> bool:
        return self.model.running(now)

    def state(self, now: datetime) -> Literal["upcoming", "running", "ended"]:
        if now < self.model.starts_at:
            return "upcoming"
        return "running" if now < self.model.ends_at else "ended"


def _stored(row: Row[Any]) -> StoredItem:
    m = row._mapping
    kind: ItemKind = m["kind"]
    model = MODELS[kind].model_validate_json(m["spec"])
    return StoredItem(
        id=m["id"],
        community=m["community"],
        kind=kind,
        model=model,
        targets=list(json.loads(m["targets"] or "[]")),
        ended=bool(m["ended"]),
        created_by=m["created_by"],
        created_at=m["created_at"],
    )


def _spec(model: Item) -> str:
    exclude: set[str] = set()
    if isinstance(model, Challenge):
        exclude = {"progress", "participants"}
    elif isinstance(model, Event):
        exclude = {"signed_up"}
    return model.model_dump_json(exclude=exclude)


def save(
    conn: Connection,
    community: str,
    model: Item,
    *,
    kind: ItemKind,
    by: str,
    now: datetime,
    targets: Sequence[str] = (),
) -> StoredItem:
    """Insert ``model`` (a new id) or replace the item with its id; bumps the feed version."""
    row = {
        "community": community,
        "kind": kind,
        "starts_at": iso(model.starts_at),
        "ends_at": iso(model.ends_at),
        "spec": _spec(model),
        "targets": json.dumps(sorted(set(targets))),
        "updated_at": iso(now),
    }
    exists = conn.execute(
        select(community_items.c.id).where(community_items.c.id == model.id)
    ).first()
    if exists:
        conn.execute(update(community_items).where(community_items.c.id == model.id).values(row))
    else:
        conn.execute(
            community_items.insert().values(
                id=model.id, created_by=by, created_at=iso(now), ended=False, **row
            )
        )
    bump_version(conn, community)
    found = get(conn, model.id)
    assert found is not None
    return found


def ended(model: Item, now: datetime) -> Item:
    """``model`` ended at ``now`` (unchanged if it is already over)."""
    if now >= model.ends_at:
        return model
    starts = min(model.starts_at, now - timedelta(microseconds=1))
    return model.model_copy(update={"starts_at": starts, "ends_at": now})


def end(conn: Connection, item: StoredItem, now: datetime) -> StoredItem:
    """End a running (or upcoming) item now: its ``ends_at`` becomes now; bumps the version."""
    if now >= item.model.ends_at:
        return item
    new = ended(item.model, now)
    conn.execute(
        update(community_items)
        .where(community_items.c.id == item.id)
        .values(
            starts_at=iso(new.starts_at),
            ends_at=iso(new.ends_at),
            spec=_spec(new),
            ended=True,
            updated_at=iso(now),
        )
    )
    bump_version(conn, item.community)
    found = get(conn, item.id)
    assert found is not None
    return found


def get(conn: Connection, item_id: str, for_update: bool = False) -> StoredItem | None:
    q = select(community_items).where(community_items.c.id == item_id)
    if for_update:
        q = q.with_for_update()
    row = conn.execute(q).first()
    return None if row is None else _stored(row)


def listing(
    conn: Connection,
    communities: Iterable[str] | None,
    kind: ItemKind,
    *,
    ending_after: datetime | None = None,
    starting_before: datetime | None = None,
) -> list[StoredItem]:
    """Items of ``kind`` in ``communities`` (None: all), newest start first."""
    q = select(community_items).where(community_items.c.kind == kind)
    if communities is not None:
        q = q.where(community_items.c.community.in_(list(communities)))
    if ending_after is not None:
        q = q.where(community_items.c.ends_at > iso(ending_after))
    if starting_before is not None:
        q = q.where(community_items.c.starts_at <= iso(starting_before))
    q = q.order_by(community_items.c.starts_at.desc(), community_items.c.id)
    return [_stored(r) for r in conn.execute(q)]


def bump_version(conn: Connection, community: str) -> None:
    """The community's feed changed: its version grows by one (created at 1)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(community_versions).values(community=community, version=1)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["community"],
                set_={"version": community_versions.c.version + 1},
            )
        )
        return
    from sqlalchemy.dialects.sqlite import insert as lite_insert

    stmt2 = lite_insert(community_versions).values(community=community, version=1)
    conn.execute(
        stmt2.on_conflict_do_update(
            index_elements=["community"],
            set_={"version": community_versions.c.version + 1},
        )
    )


def version(conn: Connection, community: str) -> int:
    row = conn.execute(
        select(community_versions.c.version).where(community_versions.c.community == community)
    ).first()
    return 0 if row is None else int(row[0])


def community_of(conn: Connection, kiosk: str) -> str | None:
    row = conn.execute(select(kiosks.c.community).where(kiosks.c.name == kiosk)).first()
    return None if row is None else str(row[0])


def community_kiosks(conn: Connection, community: str) -> list[str]:
    return [
        str(r[0])
        for r in conn.execute(
            select(kiosks.c.name).where(kiosks.c.community == community).order_by(kiosks.c.name)
        )
    ]


def topics(conn: Connection, community: str) -> list[FeedbackTopic]:
    """The community's feedback topics: the defaults, overridden or extended by its own."""
    rows = conn.execute(
        select(feedback_topics).where(
            feedback_topics.c.community.in_([DEFAULT_TOPICS, community])
        )
    ).all()
    chosen: dict[str, tuple[int, int, FeedbackTopic]] = {}
    for r in rows:
        m = r._mapping
        mine = 1 if m["community"] == community else 0
        if m["id"] in chosen and chosen[m["id"]][1] > mine:
            continue
        topic = FeedbackTopic(id=m["id"], title=Text(zh_CN=m["title_zh"], en=m["title_en"]))
        chosen[m["id"]] = (int(m["position"]), mine, topic)
    return [t for _p, _m, t in sorted(chosen.values(), key=lambda x: (x[0], x[2].id))]


def picture_problem(content_type: str, data: bytes, max_bytes: int) -> str | None:
    """Why ``data`` cannot be an announcement's picture (None: it can)."""
    if not data:
        return "the picture is empty"
    if len(data) > max_bytes:
        return f"the picture is {len(data):,} bytes, over the limit of {max_bytes:,}"
    magic = PICTURE_TYPES.get(content_type)
    if magic is None:
        return f"the picture must be PNG or JPEG, not {content_type or 'unknown'}"
    if not data.startswith(magic):
        return f"the file is not a {content_type.split('/')[1].upper()} picture"
    return None


def save_picture(conn: Connection, item_id: str, content_type: str, data: bytes) -> None:
    conn.execute(announcement_pictures.delete().where(announcement_pictures.c.item_id == item_id))
    conn.execute(
        announcement_pictures.insert().values(
            item_id=item_id,
            content_type=content_type,
            data=data,
            sha256=hashlib.sha256(data).hexdigest(),
        )
    )


def picture(conn: Connection, item_id: str) -> tuple[str, bytes, str] | None:
    """``(content type, bytes, sha256)`` of an announcement's picture."""
    row = conn.execute(
        select(
            announcement_pictures.c.content_type,
            announcement_pictures.c.data,
            announcement_pictures.c.sha256,
        ).where(announcement_pictures.c.item_id == item_id)
    ).first()
    return None if row is None else (str(row[0]), bytes(row[1]), str(row[2]))
