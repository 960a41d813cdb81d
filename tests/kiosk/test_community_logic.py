"""The Community feature's rules without a window: which vote shows (the first one when a
second was refused), sign-ups and cancellations, what a guest may do, the age of the copy in
both languages, and the attract loop's slides from the last copy and this kiosk's records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.config import Config, DataLayout
from kiosk.config.schema import KioskSection, SyncSection
from kiosk.features.community.attract import slides
from kiosk.features.community.model import (
    age_text,
    build_view,
    feedback_record,
    signup_record,
    vote_record,
)
from kiosk.services.base import Services
from kiosk.services.store import StoreService
from kiosk.services.sync import SyncService
from sync.community import ResidentInbox
from sync.community_client import CachedFeed, InboxCopy
from sync.records import GUEST
from tests.sync.community_server import TOKEN, CommunityTestServer, picture_png, sample_feed
from tests.sync.helpers import session

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def store(tmp_path: Path):
    cfg = Config(kiosk=KioskSection(id="k1", data_dir=str(tmp_path)))
    svc = StoreService(cfg, layout=DataLayout(tmp_path))
    svc.start()
    yield svc.store
    svc.stop()


def cached(age: timedelta = timedelta(0)) -> CachedFeed:
    return CachedFeed(sample_feed(NOW), '"v1"', NOW - age)


def test_the_vote_shown_is_the_one_that_counts(store):
    feed = cached()
    single, multiple = feed.feed.polls
    mine = vote_record("k1", "r-1", single, [1])
    second = vote_record("k1", "r-1", multiple, [0, 3])
    store.save_many([mine, second])
    view = build_view(feed, store, "r-1", None, frozenset(), "k1")
    assert view.votes["new-class"].choices == (1,) and not view.votes["new-class"].from_server
    # the server refused the second one: another kiosk had their first vote
    store.mark_rejected({second.key: "poll_id: already voted"}, invalid=True)
    inbox = InboxCopy(ResidentInbox(resident="r-1", votes={"path-rating": [2]},
                                    generated_at=NOW), frozenset())
    view = build_view(feed, store, "r-1", inbox, frozenset(), "k1")
    kept = view.votes["path-rating"]
    assert kept.choices == (2,) and kept.refused and kept.from_server
    # guests never vote; choices are checked against the poll
    with pytest.raises(ValueError, match="guest"):
        vote_record("k1", GUEST, single, [0])
    with pytest.raises(ValueError, match="at most 2"):
        vote_record("k1", "r-1", multiple, [0, 1, 2])
    with pytest.raises(ValueError, match="no valid choice"):
        vote_record("k1", "r-1", single, [7])


def test_sign_up_cancel_and_a_refused_sign_up(store):
    feed = cached()
    taichi, talk = feed.feed.events
    first = signup_record("k1", "r-2", taichi, True)
    store.save(first)
    view = build_view(feed, store, "r-2", None, frozenset(), "k1")
    assert [(e.event.id, e.signed_up) for e in view.events] == [("taichi-1", True),
                                                                ("health-talk", False)]
    # the cancel comes later than the sign-up (the newest decision wins)
    store.save(signup_record("k1", "r-2", taichi, False).model_copy(
        update={"decided_at": first.decided_at + timedelta(seconds=5)}))
    assert not build_view(feed, store, "r-2", None, frozenset(), "k1").events[0].signed_up
    refused = signup_record("k1", "r-2", talk, True)
    store.save(refused)
    store.mark_rejected({refused.key: "event_id: event full"}, invalid=True)
    state = build_view(feed, store, "r-2", None, frozenset(), "k1").events[1]
    assert state.refused and not state.signed_up
    with pytest.raises(ValueError, match="guest"):
        signup_record("k1", "", taichi, True)
    assert feedback_record("k1", "", "praise", 5, "  很好  ").resident == GUEST


def test_the_age_of_the_copy_in_both_languages():
    assert age_text(30, "en") == "Updated just now"
    assert age_text(45 * 60, "zh_CN") == "45分钟前更新"
    assert age_text(5 * 3600, "en") == "Updated 5 hours ago"
    assert age_text(7 * 86400 + 100, "zh_CN") == "7天前更新"


def test_attract_slides_from_the_copy_and_this_kiosks_records(tmp_path):
    with CommunityTestServer(sample_feed(NOW)) as server:
        server.pictures["notice-1"] = picture_png()
        cfg = Config(kiosk=KioskSection(id="k1", data_dir=str(tmp_path)),
                     sync=SyncSection(server_url=server.url, token=TOKEN))
        layout = DataLayout(tmp_path)
        store = StoreService(cfg, layout=layout)
        store.start()
        sync = SyncService(cfg, store, layout=layout)
        try:
            services = Services(store=store, sync=sync)
            assert slides(services, "en") == []  # no copy yet: nothing to loop through
            assert sync.pull_community()
            end = datetime.now(UTC) - timedelta(minutes=1)
            store.store.save(session(1, "k1", exercise="squat", repetitions=12,
                                     good_repetitions=12, rep_flags=[[] for _ in range(12)],
                                     value=12, started_at=end - timedelta(seconds=30),
                                     ended_at=end))
            got = {s.key: s for s in slides(services, "en")}
            assert list(got) == ["today", "challenge-squats-march", "challenge-lessons-500",
                                 "challenge-tested-100", "events", "announcement-notice-1"]
            assert got["today"].lines[0] == "38 exercise sessions"  # 37 + this kiosk's one
            bar = got["challenge-squats-march"].bars[0]
            assert bar.fraction == pytest.approx(12 / 20000) and "12 repetitions" in bar.amount
            assert "Morning tai chi" in got["events"].lines[0]
            assert got["announcement-notice-1"].picture == layout.community / "pictures" / \
                "notice-1.png"
            assert not got["today"].note  # fresh: no age shown
            zh = {s.key: s for s in slides(services, "zh_CN")}
            assert zh["challenge-squats-march"].title == "全社区深蹲两万次"
        finally:
            sync.stop()
            store.stop()
