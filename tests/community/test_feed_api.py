"""The pull channel and the ingest rules through the real HTTP API (SQLite and PostgreSQL).

Kiosks a1 and a2 are in community ``east``, b1 in ``west``; every record goes up
through ``POST /api/v1/records`` with the kiosk's token, every read through the
feed, inbox and picture routes.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from sync.community import FEED_PATH, INBOX_PATH, PICTURE_PATH, Announcement, Feed, ResidentInbox
from sync.server.tables import feedback_replies
from tests.community.server_fixture import (
    NOW,
    Server,
    challenge,
    event,
    feedback,
    poll,
    profile,
    results,
    signup,
    squats,
    text,
    vote,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def feed_of(srv: Server, kiosk: str) -> Feed:
    r = srv.get(kiosk, FEED_PATH)
    assert r.status_code == 200, r.text
    return Feed.model_validate(r.json())


def inbox_of(srv: Server, kiosk: str, resident: str) -> ResidentInbox:
    r = srv.get(kiosk, f"{INBOX_PATH}/{resident}")
    assert r.status_code == 200, r.text
    return ResidentInbox.model_validate(r.json())


def test_challenge_progress_is_exact_across_kiosks_updates_and_late_challenges(server: Server) -> None:
    srv = server
    srv.publish("east", challenge(), "challenge")
    early = squats("a1", "r1", 7, at=NOW - timedelta(days=3))  # before the challenge began
    marches = squats("a1", "r1", 9, exercise="march")  # not an activity that counts
    a1 = [squats("a1", f"r{i}", 10 + i) for i in range(6)] + [early, marches]
    a2 = [squats("a2", "r1", 5), squats("a2", "guest", 4)]
    west = [squats("b1", "w1", 100)]
    for kiosk, recs in (("a1", a1), ("a2", a2), ("b1", west)):
        assert srv.post(kiosk, recs).status_code == 200
    want = sum(10 + i for i in range(6)) + 5 + 4
    ch = feed_of(srv, "a2").challenges[0]
    assert ch.progress == want
    assert ch.participants == 6  # r0..r5; the guest is not a participant
    # a resend changes nothing; an updated record replaces its old contribution
    assert srv.post("a2", a2).status_code == 200
    fixed = a2[0].model_copy(update={"repetitions": 8, "value": 8, "good_repetitions": 8,
                                     "rep_flags": [[] for _ in range(8)]})
    assert results(srv.post("a2", [fixed]))[fixed.key][0] == "updated"
    assert feed_of(srv, "a1").challenges[0].progress == want + 3
    assert feed_of(srv, "b1").challenges == []  # another community's challenge
    # a challenge published after the records counts them too (recount from the records)
    srv.publish("east", challenge("ch-sessions", metric="sessions", activities=[], goal=50), "challenge")
    by_id = {c.id: c for c in feed_of(srv, "a1").challenges}
    assert by_id["ch-sessions"].progress == len(a1) - 1 + len(a2)  # all but the early one
    inbox = inbox_of(srv, "a1", "r1")
    assert inbox.contributions == {"ch-squats": 11 + 8, "ch-sessions": 3}
    # fewer than 5 participants: not shown
    srv.publish("east", challenge("ch-team", scope="kiosks", kiosks=["a2"], goal=10), "challenge")
    small = {c.id: c for c in feed_of(srv, "a1").challenges}["ch-team"]
    assert small.progress == 8 + 4 and small.participants is None


def test_leaderboard_names_only_residents_who_chose_a_nickname(server: Server) -> None:
    srv = server
    srv.publish("east", challenge(), "challenge")
    srv.publish("east", challenge("ch-tested", metric="residents_tested", activities=[],
                                  goal=100), "challenge")
    # four residents: too few to show anyone, nickname or not
    few = [squats("a1", f"r{i}", 10 * (i + 1)) for i in range(4)]
    nicks = [profile("a1", f"r{i}", nickname=f"Nick{i}") for i in range(4)]
    assert srv.post("a1", few + nicks).status_code == 200
    ch = feed_of(srv, "a1").challenges[0]
    assert ch.participants is None and ch.leaders == []
    # eight residents on two kiosks; r4 and r6 keep no nickname, r5 ties with r2 (30)
    more = [squats("a2", "r4", 99), squats("a2", "r5", 30), squats("a2", "r6", 5),
            squats("a2", "r7", 1), squats("a2", "guest", 500)]
    more += [profile("a2", "r5", nickname="小明"), profile("a2", "r7", nickname="Late"),
             profile("a2", "r4")]
    assert srv.post("a2", more).status_code == 200
    by_id = {c.id: c for c in feed_of(srv, "a1").challenges}
    board = [(x.rank, x.nickname, x.value) for x in by_id["ch-squats"].leaders]
    # r4 (99, no nickname) is not named and takes no rank; at most five lines
    assert board == [(1, "Nick3", 40), (2, "Nick2", 30), (2, "小明", 30), (4, "Nick1", 20),
                     (5, "Nick0", 10)]
    assert by_id["ch-tested"].leaders == []  # everyone adds one: no ranks to give
    # a resident who clears their nickname leaves the board at the next feed
    gone = profile("a1", "r3", updated_at=NOW - timedelta(hours=1))
    assert srv.post("a1", [gone]).status_code == 200
    board = [(x.rank, x.nickname) for x in feed_of(srv, "a2").challenges[0].leaders]
    assert board == [(1, "Nick2"), (1, "小明"), (3, "Nick1"), (4, "Nick0"), (5, "Late")]


def test_one_vote_per_resident_per_poll_across_kiosks(server: Server) -> None:
    srv = server
    srv.publish("east", poll(), "poll")
    srv.publish("east", poll("po-multi", multiple=True, max_choices=2), "poll")
    srv.publish("west", poll("po-west"), "poll")
    first = vote("a1", "r1", "po-class", [1])
    assert srv.post("a1", [profile("a1", "r1"), first]).status_code == 200
    second = vote("a2", "r1", "po-class", [2])
    r = srv.post("a2", [second])
    assert r.status_code == 422
    assert results(r)[second.key] == ("rejected", "already voted")
    assert inbox_of(srv, "a2", "r1").votes == {"po-class": [1]}
    assert results(srv.post("a1", [first]))[first.key][0] == "unchanged"  # a resend is fine
    bad = [
        (vote("a1", "r2", "po-class", [0, 1]), "too many choices"),
        (vote("a1", "r2", "po-class", [3]), "out of range"),
        (vote("a1", "r2", "po-multi", [0, 1, 2]), "too many choices"),
        (vote("a1", "r2", "po-nope", [0]), "unknown poll"),
        (vote("a1", "r2", "po-west", [0]), "unknown poll"),
        (vote("a1", "r2", "po-class", [0], at=NOW + timedelta(days=8)), "closed"),
    ]
    out = results(srv.post("a1", [rec for rec, _ in bad]))
    for rec, reason in bad:
        status, message = out[rec.key]
        assert status == "rejected" and reason in message, (reason, message)
    ok = vote("a2", "r2", "po-multi", [0, 2])
    assert srv.post("a2", [ok]).status_code == 200
    assert inbox_of(srv, "a1", "r2").votes == {"po-multi": [0, 2]}
    # two votes of one resident in one batch: the first wins
    one, two = vote("a1", "r3", "po-class", [0]), vote("a1", "r3", "po-class", [2])
    out = results(srv.post("a1", [one, two]))
    assert out[one.key][0] == "created" and out[two.key] == ("rejected", "already voted")


def test_event_capacity_and_cancel(server: Server) -> None:
    srv = server
    srv.publish("east", event(), "event")
    ones = [signup("a1", "r1", "ev-walk"), signup("a2", "r2", "ev-walk")]
    assert srv.post("a1", [ones[0]]).status_code == 200
    assert srv.post("a2", [ones[1]]).status_code == 200
    late = signup("a1", "r3", "ev-walk")
    r = srv.post("a1", [late])
    assert results(r)[late.key] == ("rejected", "event full")
    assert feed_of(srv, "a1").events[0].signed_up == 2
    cancel = signup("a2", "r1", "ev-walk", action="cancel", at=NOW + timedelta(minutes=1))
    assert srv.post("a2", [cancel]).status_code == 200
    again = signup("a1", "r3", "ev-walk", at=NOW + timedelta(minutes=2))
    assert results(srv.post("a1", [again]))[again.key][0] == "created"
    assert inbox_of(srv, "a1", "r3").signups == ["ev-walk"]
    assert inbox_of(srv, "a1", "r1").signups == []
    assert feed_of(srv, "a2").events[0].signed_up == 2
    unknown = signup("b1", "w1", "ev-walk")  # another community's event
    assert "unknown event" in results(srv.post("b1", [unknown]))[unknown.key][1]


def test_feed_etag_304_and_what_changes_it(server: Server) -> None:
    srv = server
    srv.publish("east", challenge(), "challenge")
    first = srv.get("a1", FEED_PATH)
    tag = first.headers["ETag"]
    again = srv.get("a1", FEED_PATH, **{"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == tag
    assert srv.post("a2", [squats("a2", "r9", 12)]).status_code == 200
    moved = srv.get("a1", FEED_PATH, **{"If-None-Match": tag})
    assert moved.status_code == 200 and moved.headers["ETag"] != tag
    assert moved.json()["version"] > first.json()["version"]
    assert moved.json()["today"]["repetitions"] == 12
    # west's feed does not move with east's records
    west = srv.get("b1", FEED_PATH).headers["ETag"]
    assert srv.post("a1", [squats("a1", "r9", 3)]).status_code == 200
    assert srv.get("b1", FEED_PATH, **{"If-None-Match": west}).status_code == 304


def test_announcements_reach_only_their_kiosks_with_their_picture(server: Server) -> None:
    srv = server
    note = Announcement(id="an-hours", title=text("New hours"), body=text("Open 7-21"),
                        picture=True, starts_at=NOW - timedelta(hours=1),
                        ends_at=NOW + timedelta(days=3))
    srv.publish("east", note, "announcement", targets=["a2"])
    from sync.server.community import items

    with srv.db.engine.begin() as conn:
        items.save_picture(conn, "an-hours", "image/png", PNG)
    assert feed_of(srv, "a1").announcements == []
    assert [a.id for a in feed_of(srv, "a2").announcements] == ["an-hours"]
    pic = srv.get("a2", f"{PICTURE_PATH}/an-hours")
    assert pic.status_code == 200 and pic.content == PNG
    assert pic.headers["content-type"] == "image/png"
    assert srv.get("a2", f"{PICTURE_PATH}/an-hours", **{"If-None-Match": pic.headers["ETag"]}).status_code == 304
    assert srv.get("a1", f"{PICTURE_PATH}/an-hours").status_code == 404  # not a target
    assert srv.get("b1", f"{PICTURE_PATH}/an-hours").status_code == 404  # other community
    assert srv.get("a2", f"{PICTURE_PATH}/..%2Fetc").status_code in (404, 422)
    past = note.model_copy(update={"id": "an-old", "starts_at": NOW - timedelta(days=9),
                                   "ends_at": NOW - timedelta(days=2)})
    srv.publish("east", past, "announcement")
    assert [a.id for a in feed_of(srv, "a2").announcements] == ["an-hours"]


def test_feedback_reply_reaches_the_inbox(server: Server) -> None:
    srv = server
    fb = feedback("a1", "r1", comment="the treadmill squeaks")
    assert srv.post("a1", [fb]).status_code == 200
    assert inbox_of(srv, "a2", "r1").replies == []
    with srv.db.engine.begin() as conn:
        conn.execute(feedback_replies.insert().values(
            kiosk_id="a1", uuid=fb.key, community="east", resident="r1", handled=True,
            reply="Fixed on Monday", replied_at="2026-12-01T02:00:00.000000Z", replied_by="m"))
    replies = inbox_of(srv, "a2", "r1").replies
    assert [(r.feedback, r.topic, r.text) for r in replies] == [(fb.key, "equipment_broken", "Fixed on Monday")]
    with srv.db.engine.begin() as conn:
        conn.execute(update(feedback_replies).values(reply=""))
    assert inbox_of(srv, "a2", "r1").replies == []


def test_bad_requests_get_clear_4xx(server: Server) -> None:
    srv = server
    assert srv.post("a1", [squats("a1", "r1", 3)]).status_code == 200
    assert srv.get(None, FEED_PATH).status_code == 401
    assert srv.get(None, f"{INBOX_PATH}/r1").status_code == 401
    r = srv.get(None, FEED_PATH, Authorization="Bearer nope")
    assert r.status_code == 401
    assert srv.get("b1", f"{INBOX_PATH}/r1").status_code == 404  # a resident of another community
    unknown = srv.get("a1", f"{INBOX_PATH}/nobody")
    assert unknown.status_code == 404 and "resident" in unknown.json()["detail"]
    assert srv.get("a1", f"{INBOX_PATH}/guest").status_code == 400
    assert srv.get("a1", f"{INBOX_PATH}/bad%20id").status_code == 422
    assert srv.get("a1", f"{INBOX_PATH}/" + "x" * 200).status_code == 422
    assert srv.get("a1", f"{PICTURE_PATH}/nope").status_code == 404


def test_racing_kiosks_keep_one_vote_per_resident_and_the_capacity(server: Server) -> None:
    """Two kiosks post at the same moment, many times: the rules hold under concurrency."""
    import threading

    srv = server
    srv.publish("east", poll(), "poll")
    srv.publish("east", event("ev-big", capacity=7), "event")
    srv.publish("east", event("ev-small", capacity=3, starts_at=NOW + timedelta(days=3),
                              ends_at=NOW + timedelta(days=3, hours=1)), "event")
    srv.publish("east", challenge(), "challenge")
    residents = [f"r{i}" for i in range(12)]
    batches = {
        k: [vote(k, r, "po-class", [n]) for r in (residents if n == 0 else residents[::-1])]
        + [signup(k, r, "ev-small") for r in residents[n::2]]
        + [signup(k, r, "ev-big") for r in reversed(residents[n::2])]
        + [squats(k, r, 5) for r in residents]
        for n, k in enumerate(("a1", "a2"))
    }
    answers: dict[str, dict[str, tuple[str, str]]] = {}
    start = threading.Barrier(2)

    def post(kiosk: str) -> None:
        start.wait()
        answers[kiosk] = results(srv.post(kiosk, batches[kiosk]))

    threads = [threading.Thread(target=post, args=(k,)) for k in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    kept: dict[str, list[str]] = {}
    for kiosk, recs in batches.items():
        for rec in recs:
            status, message = answers[kiosk][rec.key]
            if rec.kind == "poll_vote":
                assert status == "created" or message == "already voted"
                if status == "created":
                    kept.setdefault(rec.resident, []).append(kiosk)
            elif rec.kind == "exercise_session":
                assert status == "created"
    assert sorted(kept) == sorted(residents) and all(len(v) == 1 for v in kept.values())
    f = feed_of(srv, "a1")
    assert {e.id: e.signed_up for e in f.events} == {"ev-big": 7, "ev-small": 3}
    assert f.challenges[0].progress == 2 * 5 * len(residents)
    for r in residents:
        first = inbox_of(srv, "a2", r).votes["po-class"]
        assert first == [0 if kept[r] == ["a1"] else 1]


def test_delete_my_data_takes_the_resident_s_votes_sign_ups_and_tallies_too(server: Server) -> None:
    """An erasure request removes the resident's community traces: their vote and
    sign-up no longer count, their share of a challenge is gone, and no community
    table keeps their pseudonym (only the request itself, kept as proof)."""
    from sqlalchemy import String, Text, inspect, or_, select

    from sync.records import ErasureRequest
    from sync.server.tables import metadata

    srv = server
    srv.publish("east", challenge(), "challenge")
    srv.publish("east", poll(), "poll")
    srv.publish("east", event(), "event")
    gone, stays = "erase-me-7f3a", "stays-2b9c"
    for who, reps in ((gone, 12), (stays, 5)):
        assert srv.post("a1", [squats("a1", who, reps), vote("a1", who, "po-class", [0]),
                               signup("a1", who, "ev-walk", at=NOW - timedelta(minutes=2))]
                        ).status_code == 200
    before = feed_of(srv, "a2")
    assert before.challenges[0].progress == 17 and before.events[0].signed_up == 2
    request = ErasureRequest(kiosk_id="a2", resident=gone, requested_at=NOW,
                             utc_offset_min=480)
    assert srv.post("a2", [request]).status_code == 200
    after = feed_of(srv, "a1")
    assert after.challenges[0].progress == 5 and after.events[0].signed_up == 1
    assert inbox_of(srv, "a1", stays).votes == {"po-class": [0]}
    r = srv.get("a1", f"{INBOX_PATH}/{gone}")
    assert r.status_code == 404 or ResidentInbox.model_validate(r.json()).votes == {}
    with srv.db.engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        for table in metadata.sorted_tables:
            if table.name not in names:
                continue
            cols = [c for c in table.columns if isinstance(c.type, String | Text)]
            if not cols:
                continue
            hits = conn.execute(select(table).where(or_(*[c.contains(gone) for c in cols]))).all()
            if table.name == "records":
                assert [h._mapping["kind"] for h in hits] == ["erasure_request"]
            else:
                assert hits == [], (table.name, hits)
