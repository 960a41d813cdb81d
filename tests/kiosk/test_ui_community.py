"""Community life in the real app under Xvfb, against a real HTTP server on 127.0.0.1: the
attract loop (today's total, challenges with progress bars, the next events, the
announcement with its picture), and the Community tile: a guest reads but is refused a vote
or a sign-up; a resident votes (and, when the server refuses a second vote, sees their
first one), signs up and cancels, sends feedback with a few words, and sees the reply at
their next visit. Screenshots in Chinese, English and large text."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from sync.community import Reply
from sync.community_client import CommunityClient
from sync.records import EventSignup, Feedback, PollVote
from tests.sync.community_server import TOKEN, CommunityTestServer, picture_png, sample_feed
from tests.sync.helpers import session

pytestmark = pytest.mark.ui

RESIDENTS = ("r-ui-1", "r-ui-2", "r-ui-3")


def squats_done(sync) -> float:
    """The squat challenge's count on the server (the other kiosks' 9,000 and whatever
    earlier tests in this session had sent)."""
    return sync.community.current().feed.challenges[0].progress


@pytest.fixture
def community(ui):
    """The app's sync service talks to a community server (its loop paused); afterwards the
    community copy is forgotten so other tests see the kiosk as it was."""
    app = ui.app
    sync = app.services.sync
    sync.stop()
    original = sync.cfg
    now = datetime.now(UTC)
    with CommunityTestServer(sample_feed(now)) as server:
        server.pictures["notice-1"] = picture_png()
        sync.cfg = original.model_copy(update={"sync": original.sync.model_copy(
            update={"server_url": server.url, "token": TOKEN})})
        # what the community did already, from other kiosks
        for i in range(30):
            end = now - timedelta(hours=2, minutes=i)
            server.take(session(i, "k-other", exercise="squat", resident=f"r-o{i}",
                                repetitions=300, good_repetitions=300,
                                rep_flags=[[] for _ in range(300)], value=300,
                                started_at=end - timedelta(minutes=5), ended_at=end))
        # what earlier tests left unsent goes up first: the numbers below start from here
        assert sync.run_pass().ok and app.services.store.store.waiting() == 0
        try:
            yield server, sync
        finally:
            sync.cfg = original
            sync.forget_visitor()
            store = app.services.store.store
            for resident in RESIDENTS:  # nothing of these residents is left for other tests
                store.delete_resident(resident)
                app.services.residents.book.forget(resident)
            shutil.rmtree(app.layout.community, ignore_errors=True)
            sync.community = CommunityClient(sync.community._settings, app.layout.community)
            attract = app.screen("attract")
            attract.slide_s = 8.0
            attract.load_slides()
            ui.pump(0.3)


def attract_slides(ui):
    attract = ui.app.screen("attract")
    if attract.slide_s != 3600:
        attract.slide_s = 3600  # held still: the test moves on itself
        attract.start_loop()
    before = attract.loads
    attract.load_slides()
    ui.wait_for(lambda: attract.loads > before, timeout=10, what="the attract slides")
    return attract


def show_slide(ui, attract, key: str) -> None:
    for _ in range(len(attract.slides) + 1):
        if attract.slide_key == key:
            break
        attract.next_slide()
    assert attract.slide_key == key
    ui.pump(0.3)


def open_community(ui, tab: str = "challenges"):
    app = ui.app
    if app.sm.current == "attract":
        ui.tap(ui.screen)
    if app.sm.current != "home":
        app.go_home()
    ui.tap(app.screen("home").tiles["community"])
    screen = app.screen("community")
    assert app.sm.current == "community"
    ui.wait_for(lambda: not screen.loading, what="the community view")
    if tab != "challenges":
        ui.tap(screen.ids[f"tab_{tab}"])
    ui.pump(0.2)
    return screen


def cards(screen):
    return list(reversed(screen.ids.rows.children))


def find(widget, pred):
    if pred(widget):
        yield widget
    for child in widget.children:
        yield from find(child, pred)


def in_order(widget):
    """The widgets with a text under ``widget``, top to bottom as shown (Kivy keeps
    children newest first)."""
    out = [widget] if hasattr(widget, "text") else []
    for child in reversed(widget.children):
        out += in_order(child)
    return out


def buttons(screen, text: str):
    return [w for w in find(screen.ids.rows, lambda w: getattr(w, "text", None) == text
                            and hasattr(w, "state"))]


def tap_row(ui, screen, widget) -> None:
    """Tap a widget inside the screen's scrolling list (scrolled into view first)."""
    screen.ids.scroll.scroll_to(widget, padding=20, animate=False)
    ui.pump(0.1)
    ui.tap(widget)


def sync_pass(ui, screen, sync):
    """One sync pass; the screen, shown, computes its view again after the feed pull."""
    asked = screen._asked
    report = sync.run_pass()
    ui.wait_for(lambda: screen._asked > asked and not screen.loading, what="the new view")
    return report


def event_button(screen, event_id: str):
    return next(find(screen.ids.rows, lambda w: getattr(w, "event_id", None) == event_id))


def vote_button(screen, poll_id: str):
    return next(find(screen.ids.rows, lambda w: getattr(w, "poll_id", None) == poll_id))


def test_attract_loop_shows_the_community(ui, community):
    server, sync = community
    attract = attract_slides(ui)
    keys = [s.key for s in attract.slides]
    assert keys == ["today", "challenge-squats-march", "challenge-lessons-500",
                    "challenge-tested-100", "events", "announcement-notice-1"], keys
    show_slide(ui, attract, "today")
    assert "37" in attract.slide_lines and attract.slide_title == "今天社区里"
    ui.screenshot("70_attract_today_zh")
    show_slide(ui, attract, "challenge-squats-march")
    bars = list(reversed(attract.ids.slide_bars.children))
    assert attract.slide_title == "全社区深蹲两万次" and [b.label for b in bars] == ["社区挑战"]
    assert bars[0].value == pytest.approx(squats_done(sync) / 20000)
    ui.screenshot("71_attract_challenges_zh")
    show_slide(ui, attract, "events")
    assert "太极拳晨练" in attract.slide_lines
    ui.screenshot("72_attract_events_zh")
    show_slide(ui, attract, "announcement-notice-1")
    assert attract.slide_picture.endswith("notice-1.png")
    ui.screenshot("73_attract_announcement_zh")
    ui.app.lang = "en"
    ui.wait_for(lambda: attract.slide_title == "New equipment has arrived", what="English")
    ui.screenshot("73_attract_announcement_en")
    show_slide(ui, attract, "challenge-squats-march")
    ui.screenshot("71_attract_challenges_en")
    ui.app.large = ui.app.hc = True
    ui.screenshot("71_attract_challenges_large_en")
    # the slides loop by themselves too
    ui.app.large = ui.app.hc = False
    attract.next_slide()
    assert attract.slide_key == "challenge-lessons-500"


def test_a_guest_reads_everything_but_is_asked_to_sign_in_to_vote_or_sign_up(ui, community):
    server, sync = community
    screen = open_community(ui)
    first = cards(screen)[0]
    bar = next(find(first, lambda w: hasattr(w, "value") and w.__class__.__name__ == "KBar"))
    assert bar.value == pytest.approx(squats_done(sync) / 20000)
    ui.screenshot("74_community_challenges_guest_zh")
    ui.tap(screen.ids.tab_polls)
    assert "请刷居民卡" in screen.notice
    choices = [w for w in find(screen.ids.rows, lambda w: hasattr(w, "choice"))]
    assert choices and all(c.disabled for c in choices)
    assert not buttons(screen, "投票")
    ui.screenshot("75_community_polls_guest_zh")
    ui.tap(screen.ids.tab_events)
    signup = buttons(screen, "报名")
    assert signup and all(b.disabled for b in signup)
    ui.tap(ui.shell.ids.topbar.ids.lang)
    assert "Sign in" in screen.notice
    ui.screenshot("76_community_events_guest_en")
    store = ui.app.services.store.store
    assert not [e for e in store.entries_of_kind("poll_vote")]


def test_a_resident_votes_signs_up_cancels_and_a_second_vote_shows_the_first(ui, community):
    server, sync = community
    app = ui.app
    store = app.services.store.store
    app.start_visit("r-ui-1")
    ui.wait_for(lambda: sync.visitor_inbox("r-ui-1") is not None, what="the inbox")
    screen = open_community(ui, "polls")
    assert not screen.notice
    poll_card = cards(screen)[0]
    choice = next(find(poll_card, lambda w: getattr(w, "choice", None) == 2))
    ui.tap(choice)
    poll_card = cards(screen)[0]
    assert next(find(poll_card, lambda w: getattr(w, "choice", None) == 2)).selected
    ui.screenshot("77_community_poll_choice_zh")
    ui.tap(vote_button(screen, "new-class"))
    ui.wait_for(lambda: "投票已保存" in screen.notice and not screen.loading, what="the vote")
    votes = [r for r in store.recent("poll_vote") if isinstance(r, PollVote)]
    assert [(v.poll_id, v.choices, v.resident) for v in votes] == [("new-class", [2], "r-ui-1")]
    assert any("您的投票：手机课" in w.text for w in find(screen.ids.rows,
                                                      lambda w: hasattr(w, "text")))
    ui.screenshot("78_community_voted_zh")
    # the multiple-choice poll: meanwhile the same resident voted on another kiosk first
    second = cards(screen)[1]
    for i in (0, 3):
        tap_row(ui, screen, next(find(cards(screen)[1],
                                      lambda w, i=i: getattr(w, "choice", None) == i)))
    assert len(screen._picked["path-rating"]) == 2
    tap_row(ui, screen, vote_button(screen, "path-rating"))
    ui.wait_for(lambda: len(store.entries("r-ui-1", ["poll_vote"])) == 2, what="second vote")
    first = PollVote(kiosk_id="k-other", resident="r-ui-1", poll_id="path-rating",
                     choices=[1], voted_at=datetime.now(UTC) - timedelta(minutes=5),
                     utc_offset_min=480)
    assert server.take(first) == "created"
    asked = screen._asked
    report = sync.run_pass()
    assert report.ok and report.rejected == 1 and report.created == 1
    # the pass pulled the feed: the screen computes its view again by itself
    ui.wait_for(lambda: screen._asked > asked and not screen.loading, what="the new view")
    assert not screen.notice
    texts = [w.text for w in find(screen.ids.rows, lambda w: hasattr(w, "text"))]
    assert any("以第一次投票为准：有灯" in t for t in texts), texts
    second = cards(screen)[1]
    assert [c.choice for c in find(second, lambda w: getattr(w, "selected", False))] == [1]
    ui.screenshot("79_community_already_voted_zh")
    ui.tap(ui.shell.ids.topbar.ids.large)
    ui.screenshot("79_community_already_voted_large_zh")
    ui.tap(ui.shell.ids.topbar.ids.large)
    # events: sign up, then cancel
    ui.tap(screen.ids.tab_events)
    assert event_button(screen, "taichi-1").text == "报名"
    tap_row(ui, screen, event_button(screen, "taichi-1"))
    ui.wait_for(lambda: "报名成功" in screen.notice and not screen.loading, what="sign-up")
    assert event_button(screen, "taichi-1").text == "取消报名"
    ui.screenshot("80_community_signed_up_zh")
    assert sync_pass(ui, screen, sync).ok
    assert "r-ui-1" in server.signed_up("taichi-1")
    tap_row(ui, screen, event_button(screen, "taichi-1"))
    ui.wait_for(lambda: "已取消报名" in screen.notice and not screen.loading, what="cancel")
    assert event_button(screen, "taichi-1").text == "报名"
    signups = [r for r in store.recent("event_signup") if isinstance(r, EventSignup)]
    assert [s.action for s in signups] == ["cancel", "sign_up"]
    assert sync_pass(ui, screen, sync).ok and "r-ui-1" not in server.signed_up("taichi-1")
    # the talk has one place: another resident takes it, and it shows as full
    server.take(EventSignup(kiosk_id="k-other", resident="r-x", event_id="health-talk",
                            decided_at=datetime.now(UTC), utc_offset_min=480))
    sync_pass(ui, screen, sync)
    full = event_button(screen, "health-talk")
    assert full.text == "已满" and full.disabled
    ui.tap(ui.shell.ids.topbar.ids.lang)
    ui.screenshot("80_community_events_en")
    # challenges: their own part, after they exercised here
    store.save(session(1, "kiosk-test", resident="r-ui-1", exercise="squat", repetitions=15,
                       good_repetitions=15, rep_flags=[[] for _ in range(15)], value=15,
                       started_at=datetime.now(UTC) - timedelta(minutes=3),
                       ended_at=datetime.now(UTC) - timedelta(minutes=2)))
    ui.tap(screen.ids.tab_challenges)
    screen.refresh()
    ui.wait_for(lambda: not screen.loading, what="challenges")
    texts = [w.text for w in find(screen.ids.rows, lambda w: hasattr(w, "text"))]
    assert any("Your part: 15 repetitions" in t for t in texts), texts
    assert any(f"{squats_done(sync) + 15:,.0f} repetitions of 20,000" in t for t in texts), texts
    ui.screenshot("81_community_challenges_resident_en")
    ui.tap(ui.shell.ids.topbar.ids.large)
    ui.screenshot("81_community_challenges_resident_large_en")


def test_feedback_with_a_few_words_and_the_reply_at_the_next_visit(ui, community):
    server, sync = community
    app = ui.app
    store = app.services.store.store
    app.start_visit("r-ui-2")
    ui.wait_for(lambda: sync.visitor_inbox("r-ui-2") is not None, what="the inbox")
    screen = open_community(ui, "feedback")
    w = screen._feedback_widgets
    assert w["send"].disabled
    ui.tap(next(b for b in w["topics"].children if b.topic == "suggestion"))
    w = screen._feedback_widgets
    ui.tap(next(b for b in w["ratings"].children if b.rating == 4))
    w = screen._feedback_widgets
    ui.tap(w["more"])
    keys = {b.key: b for b in find(screen._keys, lambda x: hasattr(x, "key"))}
    for key in ("希望多开课，", "o", "k", "x", "\b"):
        tap_row(ui, screen, keys[key])
    assert screen._words == "希望多开课，ok"
    ui.screenshot("82_community_feedback_keyboard_zh")
    assert "希望多开课，ok" in screen._feedback_widgets["words"].text
    tap_row(ui, screen, screen._feedback_widgets["send"])
    ui.wait_for(lambda: store.entries("r-ui-2", ["feedback"]), what="the feedback record")
    fb = store.get(store.entries("r-ui-2", ["feedback"])[0].uuid)
    assert isinstance(fb, Feedback)
    assert (fb.topic, fb.rating, fb.text) == ("suggestion", 4, "希望多开课，ok")
    ui.wait_for(lambda: "谢谢" in screen.notice, what="thanks")
    ui.screenshot("83_community_feedback_sent_zh")
    assert sync_pass(ui, screen, sync).ok and fb.key in server.records
    # a manager replies; the resident sees it at their next visit
    server.replies["r-ui-2"] = [Reply(feedback=fb.key, topic="suggestion",
                                      text="下个月起每周三加一节八段锦。", replied_at=datetime.now(UTC))]
    app.end_visit("test")
    app.start_visit("r-ui-2")
    ui.wait_for(lambda: sync.visitor_inbox("r-ui-2") is not None, what="the inbox again")
    screen = open_community(ui)
    assert screen.new_replies and "●" in screen.ids.tab_feedback.text
    ui.tap(screen.ids.tab_feedback)
    texts = [x.text for x in find(screen.ids.rows, lambda x: hasattr(x, "text"))]
    assert any("每周三加一节八段锦" in t for t in texts)
    ui.screenshot("84_community_reply_zh")
    ui.tap(ui.shell.ids.topbar.ids.large)
    ui.screenshot("84_community_reply_large_zh")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    ui.screenshot("84_community_reply_large_en")
    # a guest may send feedback too
    app.end_visit("test")
    screen = open_community(ui, "feedback")
    assert not screen.notice


def test_offline_the_copy_shows_its_age(ui, community):
    server, sync = community
    cached = sync.community.current()
    sync.community._current = cached.__class__(cached.feed, cached.etag,
                                               cached.checked_at - timedelta(days=3))
    sync.community.note_unreachable("ConnectionError: the network is down")
    screen = open_community(ui)
    assert screen.freshness == "3天前更新" and screen.offline
    ui.screenshot("85_community_offline_zh")
    attract_screen = ui.app
    attract_screen.end_visit("test")
    attract = attract_slides(ui)
    show_slide(ui, attract, "challenge-squats-march")
    assert attract.slide_note == "3天前更新"
    ui.screenshot("86_attract_offline_zh")


def test_team_and_nickname_are_the_residents_choice_and_off_by_default(ui, community):
    server, sync = community
    app = ui.app
    residents = app.services.residents
    residents.accept_consent("r-ui-3", "zh_CN", False)
    app.start_visit("r-ui-3")
    screen = open_community(ui)
    assert residents.profile("r-ui-3").nickname is None  # off by default
    texts = [w.text for w in find(screen.ids.rows, lambda w: hasattr(w, "text"))]
    assert "排行榜上不显示您的名字。" in texts
    screen.ids.scroll.scroll_to(screen._me_widgets["choose"], animate=False)
    ui.screenshot("87_community_me_zh")
    me = screen._me_widgets
    tap_row(ui, screen, next(b for b in me["teams"].children
                             if getattr(b, "team", None) == "building-3"))
    ui.wait_for(lambda: not screen.loading, what="the view")
    assert residents.profile("r-ui-3").team == "building-3"
    tap_row(ui, screen, screen._me_widgets["choose"])
    for key in "lily":
        keys = {b.key: b for b in find(screen._me_widgets["keys"], lambda x: hasattr(x, "key"))}
        tap_row(ui, screen, keys[key])
    assert screen._nick == "lily"
    ui.screenshot("88_community_nickname_typing_zh")
    tap_row(ui, screen, screen._me_widgets["save"])
    profile = residents.profile("r-ui-3")
    assert profile.nickname == "lily" and profile.team == "building-3"
    # the leaderboard (from the server, nicknames only) marks the resident's own line
    ui.wait_for(lambda: not screen.loading, what="the view")
    shown = in_order(screen.ids.rows)
    texts = [w.text for w in shown]
    board = texts.index("排行榜（自愿显示昵称的居民）")
    assert texts[board + 1:board + 4] == ["第1名 阿强：1,260个动作",
                                          "第2名 lily：900个动作（您）",
                                          "第2名 Sunny：900个动作"]
    assert shown[board + 2].bold and not shown[board + 1].bold
    def board_in_view(name: str) -> None:
        lines = in_order(screen.ids.rows)
        top = next(i for i, w in enumerate(lines) if w.text in ("排行榜（自愿显示昵称的居民）",
                                                            "Leaderboard (residents who chose a nickname)"))
        screen.ids.scroll.scroll_to(lines[top + 3], animate=False)  # the board's end, then its
        ui.pump(0.1)
        screen.ids.scroll.scroll_to(lines[top - 1], animate=False)  # start, above the lines
        ui.screenshot(name)

    board_in_view("88b_community_leaderboard_zh")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    ui.wait_for(lambda: not screen.loading, what="the view in English")
    texts = [w.text for w in in_order(screen.ids.rows)]
    assert "2. lily: 900 repetitions (you)" in texts
    board_in_view("88c_community_leaderboard_en")
    ui.tap(ui.shell.ids.topbar.ids.lang)
    ui.wait_for(lambda: not screen.loading, what="the view in Chinese")
    store = app.services.store.store
    ui.wait_for(lambda: any(r.nickname == "lily" for r in store.recent("resident_profile", 5,
                                                                        resident="r-ui-3")),
                what="the profile saved")
    ui.tap(ui.shell.ids.topbar.ids.large)
    ui.wait_for(lambda: not screen.loading, what="the view in large text")
    board_in_view("88d_community_leaderboard_large_zh")
    screen.ids.scroll.scroll_to(screen._me_widgets["stop"], animate=False)
    ui.screenshot("89_community_me_large_zh")
    tap_row(ui, screen, screen._me_widgets["stop"])
    assert residents.profile("r-ui-3").nickname is None
