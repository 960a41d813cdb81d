"""Residents' own records (profile, consent, erasure request) and the manager pages' figures.

Against the seeded server on 127.0.0.1 (SQLite and PostgreSQL), through the
real ingest API: a resident's profile, consent and erasure request are stored
but are no activity, so no figure moves; an erasure takes every trace of the
resident out of the figures in the transaction that deletes their records,
including a record from before the request that arrives later, and leaves
the aggregates equal to a recount from the records. The expected figures are
``seed.expected`` over the records that remain (plain loops, not the server's
code).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import MetaData, String, Table, func, select

from sync.records import Consent, ErasureRequest, ExerciseSession, Record, ResidentProfile
from sync.server.db import Database
from sync.server.tables import agg_cells, agg_members
from sync.server.web import aggregates
from tests.web import seed
from tests.web.conftest import WebServer, post_records

ERASED = "east-res-05"
_FIGURE = re.compile(r'data-metric="(\w+)" data-period="(\w+)">([^<]*)<')


def snapshot(db: Database) -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    """Every aggregate cell that counts something (floats rounded) and every reference count."""
    with db.engine.connect() as conn:
        cells = {
            tuple(round(v, 6) if isinstance(v, float) else v for v in row)
            for row in conn.execute(select(agg_cells).where(agg_cells.c.n != 0))
        }
        members = {tuple(row) for row in conn.execute(select(agg_members))}
    return cells, members


def overview(session: requests.Session, srv: WebServer, community: str | None) -> dict[str, str]:
    """The overview's figures for today, this week and this month, as the page shows them."""
    params = {"community": community} if community else {}
    page = session.get(f"{srv.url}/overview", params=params, timeout=30)
    assert page.status_code == 200, page.text[:300]
    return {f"{m}/{p}": html.unescape(v).split()[0] for m, p, v in _FIGURE.findall(page.text)}


def expected(remaining: list[Record], community: str | None, srv: WebServer) -> dict[str, str]:
    periods = {
        "today": [srv.today],
        "week": seed.week_days(srv.today),
        "month": seed.month_days(srv.today),
    }
    out = {}
    for period, days in periods.items():
        want = seed.expected(remaining, community, days)
        for metric in ("sessions", "repetitions", "minutes", "lessons_completed",
                       "fitness_tests", "residents"):
            out[f"{metric}/{period}"] = getattr(want, metric)
    return out


def recount_equals(db: Database) -> None:
    """The incremental aggregates equal a rebuild from the records table."""
    counted = snapshot(db)
    aggregates.rebuild(db.engine, db.demographics)
    assert snapshot(db) == counted


def test_profiles_consent_and_erasure_requests_post_fine_and_move_no_figure(
    any_web_server: WebServer,
) -> None:
    srv = any_web_server
    session = srv.login()
    before = snapshot(srv.db)
    pages = {c: overview(session, srv, c) for c in (None, seed.EAST, seed.WEST)}
    now = datetime.now(UTC)
    recs: list[Record] = []
    for i, resident in enumerate(seed.RESIDENTS[seed.EAST][:6] + seed.RESIDENTS[seed.WEST]):
        kiosk = "e1" if resident.startswith("east") else "w1"
        recs.append(
            ResidentProfile(
                kiosk_id=kiosk,
                resident=resident,
                age_group="under_60" if i % 2 else "95_plus",
                sex="female",
                language="zh_CN",
                consent_version="1",
                updated_at=now,
                utc_offset_min=seed.OFFSET_MIN,
            )
        )
        recs.append(
            Consent(
                kiosk_id=kiosk,
                resident=resident,
                version="1",
                decided_at=now,
                utc_offset_min=seed.OFFSET_MIN,
            )
        )
    # a resident who never used a station asks for erasure: nothing to delete, nothing moves
    recs.append(
        ErasureRequest(
            kiosk_id="w1", resident="west-nobody", requested_at=now, utc_offset_min=seed.OFFSET_MIN
        )
    )
    post_records(srv.url, srv.tokens, recs)  # every batch answered 200
    assert srv.db.count_records() == len(srv.records) + len(recs)
    assert snapshot(srv.db) == before
    assert {c: overview(session, srv, c) for c in pages} == pages
    assert pages[None] == expected(srv.records, None, srv)
    # a recount from the records leaves them out too
    with srv.db.engine.begin() as conn:
        assert aggregates.rebuild_on(conn, srv.db.demographics) == len(srv.records)
    assert snapshot(srv.db) == before


def _text_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if isinstance(c.type, String)]


def test_an_erasure_takes_the_resident_out_of_every_figure(any_web_server: WebServer) -> None:
    srv = any_web_server
    session = srv.login()
    mine = [r for r in srv.records if r.resident == ERASED]
    assert {r.kind for r in mine} == {"exercise_session", "lesson_progress", "fitness_test"}
    remaining = [r for r in srv.records if r.resident != ERASED]
    assert overview(session, srv, seed.EAST) != expected(remaining, seed.EAST, srv)
    now = datetime.now(UTC)
    request = ErasureRequest(
        kiosk_id="e2", resident=ERASED, requested_at=now, utc_offset_min=seed.OFFSET_MIN
    )
    post_records(srv.url, srv.tokens, [request])
    assert srv.db.count_resident_records(ERASED) == 1  # the request itself, as proof
    for community in (None, seed.EAST):
        assert overview(session, srv, community) == expected(remaining, community, srv)
    # a record from before the request, arriving later from a kiosk that was offline,
    # is deleted as it arrives, and counted nowhere
    late_end = now - timedelta(hours=1)
    late = ExerciseSession(
        kiosk_id="e1",
        resident=ERASED,
        exercise="squat",
        target=None,
        activity="timed",
        value=30.0,
        unit="s",
        duration_s=30.0,
        started_at=late_end - timedelta(seconds=30),
        ended_at=late_end,
        utc_offset_min=seed.OFFSET_MIN,
    )
    post_records(srv.url, srv.tokens, [late])
    assert srv.db.count_resident_records(ERASED) == 1
    for community in (None, seed.EAST):
        assert overview(session, srv, community) == expected(remaining, community, srv)
    recount_equals(srv.db)
    # no table keeps the pseudonym (but the request, kept as proof that it was done) ...
    with srv.db.engine.connect() as conn:
        stored = MetaData()
        stored.reflect(conn)
        assert {"records", "agg_cells", "agg_members", "kiosks"} <= set(stored.tables)
        for name, table in stored.tables.items():
            for column in _text_columns(table):
                q = select(func.count()).select_from(table).where(
                    table.c[column].contains(ERASED, autoescape=True)
                )
                if name == "records":
                    q = q.where(table.c.kind != "erasure_request")
                assert conn.execute(q).scalar_one() == 0, (name, column)
        # ... nor its pseudonym's hash in the aggregates' reference counts
        member = aggregates.member_id(seed.EAST, ERASED)
        assert conn.execute(
            select(func.count()).select_from(agg_members).where(agg_members.c.member == member)
        ).scalar_one() == 0
