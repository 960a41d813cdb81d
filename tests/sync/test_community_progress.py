"""Challenge progress on the kiosk: the server's count plus this kiosk's pending records, never
a record twice. With the real store, the real sync service and a real HTTP server on
127.0.0.1: before and after a sync, when the feed pull fails right after a push, for one
resident's own part, and a kiosk offline for a week (through the fault proxy) that keeps
showing its last copy with its age, records everything and reconciles when the network
returns."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.config import Config, DataLayout
from kiosk.config.schema import KioskSection, SyncSection
from kiosk.features.community.model import age_text, build_view
from kiosk.services.store import StoreService
from kiosk.services.sync import SyncService
from sync.community import FEED_PATH, Challenge
from sync.community_progress import (
    challenge_progress,
    local_addition,
    own_contribution,
    pending_records,
)
from sync.records import FitnessTestResult, LessonProgress
from tests.sync.community_server import TOKEN, CommunityTestServer, sample_feed
from tests.sync.faultproxy import FaultProxy
from tests.sync.helpers import session

NOW = datetime.now(UTC).replace(microsecond=0)


def squats(i: int, resident: str = "guest", when: datetime | None = None, reps: int = 10,
           exercise: str = "squat"):
    end = when or NOW - timedelta(minutes=30 + i)
    return session(i, "k1", resident=resident, exercise=exercise, repetitions=reps,
                   good_repetitions=reps, rep_flags=[[] for _ in range(reps)], value=reps,
                   started_at=end - timedelta(seconds=40), ended_at=end, duration_s=40.0,
                   uuid=uuid.uuid4())


def test_the_rule_counts_pending_records_once_and_residents_once():
    feed = sample_feed(NOW)
    reps, lessons, tested = feed.challenges
    pending = [squats(1, reps=12), squats(2, reps=8), squats(3, exercise="march", reps=30),
               squats(4, when=NOW - timedelta(days=30))]  # before the challenge began
    assert local_addition(reps, pending) == 20
    done = LessonProgress(kiosk_id="k1", lesson_id="falls-1", progress=1.0, position_s=0,
                          updated_at=NOW, utc_offset_min=480, completed=True)
    assert local_addition(lessons, [done, done.model_copy(update={"completed": False})]) == 1
    tests = [FitnessTestResult(kiosk_id="k1", resident=r, test="grip_strength", value=30,
                               unit="kg", measured_at=NOW, utc_offset_min=480, device="station")
             for r in ("r-1", "r-1", "r-2", "guest")]
    assert local_addition(tested, tests) == 2  # distinct residents, never guests
    assert local_addition(tested, tests, counted_residents={"r-1"}) == 1
    shown = challenge_progress([reps.model_copy(update={"progress": 100})], pending)
    assert shown[0].shown == 120 and shown[0].local == 20 and shown[0].fraction == 120 / 20000
    assert own_contribution(reps, 50, [squats(5, "r-1", reps=5)]) == 55
    assert own_contribution(tested, 0, tests[:1]) == 1 and own_contribution(tested, 1, []) == 1
    team = Challenge.model_validate(reps.model_dump() | {"scope": "team", "team": "building-3"})
    mixed = [squats(6, "r-1", reps=4), squats(7, "r-2", reps=6)]
    assert local_addition(team, mixed, {"r-1": "building-3"}) == 4


def make_services(tmp: Path, url: str, **sync: object) -> tuple[StoreService, SyncService]:
    cfg = Config(kiosk=KioskSection(id="k1", data_dir=str(tmp)),
                 sync=SyncSection(server_url=url, token=TOKEN, max_attempts=3,
                                  backoff_base_s=0.01, backoff_max_s=0.05, connect_timeout_s=1,
                                  **sync))
    layout = DataLayout(tmp)
    store = StoreService(cfg, layout=layout)
    store.start()
    return store, SyncService(cfg, store, layout=layout)


def shown(sync: SyncService, store: StoreService, cid: str = "squats-march") -> float:
    cached = sync.community.current()
    assert cached is not None
    pending = pending_records(store.store, sync.community.acked_since_feed())
    by_id = {p.challenge.id: p.shown for p in challenge_progress(cached.feed.challenges, pending)}
    return by_id[cid]


@pytest.fixture
def server():
    with CommunityTestServer(sample_feed(NOW)) as s:
        yield s


def test_no_double_counting_before_and_after_a_sync_even_when_the_pull_fails(server, tmp_path):
    store, sync = make_services(tmp_path, server.url)
    try:
        assert sync.pull_community()
        assert shown(sync, store) == 0
        for i in range(5):
            store.save(squats(i, reps=10 + i))
        assert shown(sync, store) == 60  # all local, nothing on the server yet
        report = sync.run_pass()
        assert report.ok and report.created == 5
        assert sync.community.current().feed.challenges[0].progress == 60  # the server's now
        assert store.store.waiting() == 0 and shown(sync, store) == 60  # not 120
        # the feed pull fails right after a push: the records just acknowledged are still
        # added, because the copy does not count them yet
        server.override[FEED_PATH] = (503, b'{"detail": "busy"}', {})
        store.save(squats(10, reps=7))
        assert shown(sync, store) == 67
        assert sync.run_pass().ok and store.store.waiting() == 0
        assert len(sync.community.acked_since_feed()) == 1
        assert sync.community.current().feed.challenges[0].progress == 60
        assert shown(sync, store) == 67
        del server.override[FEED_PATH]
        assert sync.run_pass().ok  # nothing to send; the feed is pulled again
        assert not sync.community.acked_since_feed()
        assert sync.community.current().feed.challenges[0].progress == 67
        assert shown(sync, store) == 67
    finally:
        sync.stop()
        store.stop()


def test_a_residents_own_part_is_their_inbox_plus_what_it_did_not_see(server, tmp_path):
    store, sync = make_services(tmp_path, server.url)
    try:
        # the resident did 20 squats on another kiosk already
        server.take(squats(50, "r-7", reps=20).model_copy(update={"kiosk_id": "k2"}))
        sync.pull_community()
        store.save(squats(1, "r-7", reps=9))
        store.save(squats(2, "r-8", reps=4))
        copy = sync.fetch_inbox("r-7")
        assert copy.inbox.contributions["squats-march"] == 20

        def mine() -> float:
            view = build_view(sync.community.current(), store.store, "r-7",
                              sync.visitor_inbox("r-7"), sync.community.acked_since_feed(), "k1")
            return view.contributions["squats-march"]

        assert mine() == 29
        assert sync.run_pass().ok  # the pass refreshes the visitor's inbox too
        assert sync.visitor_inbox("r-7").inbox.contributions["squats-march"] == 29
        assert mine() == 29  # not 38
        view = build_view(sync.community.current(), store.store, "r-7",
                          sync.visitor_inbox("r-7"), frozenset(), "k1")
        assert view.challenges[0].shown == 33 and view.bests["squats-march"] == 9
        sync.forget_visitor()
        assert sync.visitor_inbox("r-7") is None
    finally:
        sync.stop()
        store.stop()


def test_offline_for_a_week_shows_the_age_records_everything_and_reconciles(server, tmp_path):
    with FaultProxy(server.port, fault_rate=0.0, seed=15, hold_s=0.6) as proxy:
        proxy.forced = []
        store, sync = make_services(tmp_path, proxy.url, read_timeout_s=0.3)
        try:
            week_ago = NOW - timedelta(days=7)
            sync.community.clock = lambda: week_ago  # the last good pull was a week ago
            store.save(squats(0, reps=10, when=week_ago - timedelta(hours=1)))
            assert sync.run_pass().ok
            sync.community.clock = lambda: datetime.now(UTC)
            assert shown(sync, store) == 10
            # the network goes: every connection is reset
            proxy.fault_rate, proxy.forced, proxy.weights = 1.0, [], {"reset": 1.0}
            expected = 10
            for day in range(7):
                for k in range(3):
                    reps = 5 + day + k
                    when = week_ago + timedelta(days=day, hours=9 + k)
                    store.save(squats(100 + day * 3 + k, f"r-{k}", reps=reps, when=when))
                    expected += reps
                assert not sync.run_pass().ok
                assert shown(sync, store) == expected  # the copy, plus everything recorded
            assert store.store.waiting() == 21
            view = build_view(sync.community.current(), store.store, "", None,
                              sync.community.acked_since_feed(), "k1",
                              offline=bool(sync.community.last_error))
            assert view.offline and age_text(view.age_s, "en") == "Updated 7 days ago"
            assert age_text(view.age_s, "zh_CN") == "7天前更新"
            assert view.challenges[0].shown == expected
            # the network returns, flaky: resets, timeouts, lost answers after the commit
            proxy.weights = {"reset": 2, "timeout_after": 1, "http503": 2,
                             "lost_after_commit": 3, "truncated_response": 1}
            proxy.fault_rate = 0.35
            proxy.forced = ["lost_after_commit", "truncated_response", "lost_after_commit"]
            for _ in range(40):
                sync.run_pass()
                if store.store.waiting() == 0 and not sync.community.last_error \
                        and not sync.community.acked_since_feed():
                    break
            assert store.store.waiting() == 0, "the records did not all get through"
            assert proxy.counts["lost_after_commit"] >= 1
            proxy.fault_rate = 0.0
            assert sync.pull_community()
            assert len(server.records) == 22  # exactly once each
            assert sync.community.current().feed.challenges[0].progress == expected
            assert shown(sync, store) == expected  # reconciled: not counted twice
            assert sync.community.current().age_s() < 60
        finally:
            sync.stop()
            store.stop()
