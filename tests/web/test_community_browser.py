"""Community life end to end: a manager in real Chromium, two kiosks with their own stores.

The manager of ``east`` creates a challenge, a poll, an event and an announcement in
the browser; kiosks a1 and a2 (real ``SyncClient``s over real ``Store``s) send
sessions, votes, sign-ups and feedback through the exactly-once sync; the feed's
totals are exact, a second vote of one resident on the other kiosk is refused (the
kiosk's store marks it rejected) and the inbox gives the first one; the manager
replies to feedback in the browser and the inbox brings the reply back. Screenshots
of every new page in English and Chinese go to ``test-output/web/community/``.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
import requests

from sync.client import SyncClient, SyncSettings
from sync.community import FEED_PATH, INBOX_PATH, PICTURE_PATH, Feed, ResidentInbox
from sync.records import Record
from sync.store import Store
from tests.community.server_fixture import (
    Server,
    feedback,
    profile,
    signup,
    squats,
    vote,
)
from tests.web.community_server import (
    community_server,  # noqa: F401 - the srv fixture
    csrf_of,
    local_input,
    session_as,
)
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser

def resident(name: str) -> str:
    """A pseudonym as kiosks make them (a salted hash), never a name."""
    return hashlib.sha256(f"salt:{name}".encode()).hexdigest()[:32]


def png(width: int = 160, height: int = 100) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(
        b"\x00" + b"".join(bytes([200, 60 + y, 40 + x % 200]) for x in range(width))
        for y in range(height)
    )
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
def shots(output_dir: Path) -> Path:
    out = output_dir / "web" / "community"
    out.mkdir(parents=True, exist_ok=True)
    return out


class Kiosk:
    """A kiosk's own store and the real sync client."""

    def __init__(self, srv: Server, name: str, tmp: Path) -> None:
        self.name = name
        self.store = Store(tmp / f"store-{name}")
        self.client = SyncClient(
            self.store, SyncSettings(server_url=srv.url, token=srv.tokens[name], kiosk_id=name,
                                     max_attempts=1)
        )

    def record(self, recs: list[Record]) -> None:
        self.store.save_many(recs)

    def sync(self) -> None:
        report = self.client.sync_once()
        assert report.error is None or "acknowledged none" in report.error, report.error

    def close(self) -> None:
        self.client.close()
        self.store.close()


def login(page: Any, srv: Server, name: str) -> None:
    page.goto(f"{srv.url}/community")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/community/challenges")


def feed(srv: Server, kiosk: str) -> Feed:
    r = srv.get(kiosk, FEED_PATH)
    assert r.status_code == 200, r.text
    return Feed.model_validate(r.json())


def inbox(srv: Server, kiosk: str, who: str) -> ResidentInbox:
    r = srv.get(kiosk, f"{INBOX_PATH}/{who}")
    assert r.status_code == 200, r.text
    return ResidentInbox.model_validate(r.json())


def shoot(page: Any, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_manager_and_two_kiosks_end_to_end(srv: Server, browser: Any, shots: Path, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    login(page, srv, "east-m")
    # --- the manager creates a challenge and a poll in the browser ---------------------
    page.fill("#title_en", "Our building squats to 300")
    page.fill("#title_zh", "本楼深蹲300个")
    page.select_option("#metric", "repetitions")
    page.fill("#goal", "300")
    page.fill("#activities", "squat")
    page.fill("#starts_at", local_input(-1))
    page.fill("#ends_at", local_input(30))
    page.click("#challenge-submit")
    page.wait_for_url(re.compile(r".*/community/challenges/ch-[0-9]+-[0-9a-f]+$"))
    challenge_id = page.url.rsplit("/", 1)[1]
    page.goto(f"{srv.url}/community/polls")
    page.fill("#title_en", "Which class should we add?")
    page.fill("#title_zh", "我们应该增加哪门课？")
    page.fill("#choices_en", "Tai chi\nSquare dance\nYoga")
    page.fill("#choices_zh", "太极\n广场舞\n瑜伽")
    page.fill("#starts_at", local_input(-1))
    page.fill("#ends_at", local_input(14))
    page.click("#poll-submit")
    page.wait_for_url(re.compile(r".*/community/polls/po-[0-9]+-[0-9a-f]+$"))
    poll_id = page.url.rsplit("/", 1)[1]
    page.goto(f"{srv.url}/community/events")
    page.fill("#title_en", "Morning walk by the river")
    page.fill("#title_zh", "河边晨走")
    page.fill("#place_en", "Gate 2")
    page.fill("#place_zh", "二号门")
    page.fill("#capacity", "3")
    page.fill("#starts_at", local_input(3))
    page.fill("#ends_at", local_input(3.1))
    page.click("#event-submit")
    page.wait_for_url(re.compile(r".*/community/events/ev-[0-9]+-[0-9a-f]+$"))
    event_id = page.url.rsplit("/", 1)[1]
    page.goto(f"{srv.url}/community/announcements")
    page.fill("#title_en", "Fitness path closed on Friday")
    page.fill("#title_zh", "周五健身步道维修")
    page.fill("#body_en", "Repairs from 8 to 12.")
    page.fill("#body_zh", "8点至12点维修。")
    picture = png()
    page.set_input_files("#picture", files=[{"name": "path.png", "mimeType": "image/png", "buffer": picture}])
    page.check("input[name=kiosks][value=a2]")
    page.fill("#starts_at", local_input(-0.5))
    page.fill("#ends_at", local_input(5))
    page.click("#announcement-submit")
    page.wait_for_url("**/community/announcements")
    assert page.locator("#announcements tbody tr").count() == 1

    # --- both kiosks pull the feed --------------------------------------------------------
    for k in ("a1", "a2"):
        f = feed(srv, k)
        assert [c.id for c in f.challenges] == [challenge_id] and f.challenges[0].progress == 0
        assert [p.id for p in f.polls] == [poll_id] and [e.id for e in f.events] == [event_id]
    assert feed(srv, "a1").announcements == []  # the announcement targets a2 only
    (note,) = feed(srv, "a2").announcements
    assert note.picture and srv.get("a2", f"{PICTURE_PATH}/{note.id}").content == picture
    assert feed(srv, "b1").challenges == [] and feed(srv, "b1").polls == []

    # --- residents contribute and vote on both kiosks -------------------------------------
    a1, a2 = Kiosk(srv, "a1", tmp_path), Kiosk(srv, "a2", tmp_path)
    try:
        people = [resident(f"p{i}") for i in range(12)]
        ages = ["65-69", "70-74", "70-74", "75-79", "65-69", "70-74", "80-84", "70-74",
                "70-74", "70-74", "65-69", "75-79"]
        nicknames = {people[4]: "四叔", people[7]: "Seven", people[2]: "Two"}  # opted in
        a1.record([profile("a1", p, age_group=a, nickname=nicknames.get(p))
                   for p, a in zip(people, ages, strict=True)])
        a1.record([squats("a1", p, 10 + i) for i, p in enumerate(people[:5])])
        a2.record([squats("a2", p, 20 + i) for i, p in enumerate(people[3:8])])
        a2.record([squats("a2", "guest", 7), squats("a2", people[0], 9, exercise="march")])
        a1.record([vote("a1", p, poll_id, [i % 3]) for i, p in enumerate(people[:10])])
        a2.record([vote("a2", people[10], poll_id, [0]), vote("a2", people[11], poll_id, [0])])
        first_of_p0 = 0
        double = vote("a2", people[0], poll_id, [2])  # p0 votes again on the other kiosk
        a2.record([double])
        a1.record([signup("a1", p, event_id) for p in people[:3]])
        full = signup("a2", people[3], event_id)
        a2.record([full])
        fb = feedback("a1", people[1], topic="equipment_broken", rating=2,
                      comment="The handle of the rowing machine is loose")
        a1.record([fb, feedback("a1", "guest", topic="praise", rating=5)])
        a1.sync()
        a2.sync()
        assert a1.store.waiting() == 0
        assert set(a2.store.rejected()) == set(a2.store.invalid()) == {double.key, full.key}
        assert "already voted" in a2.store.rejected()[double.key]
        assert "event full" in a2.store.rejected()[full.key]
        assert a2.store.waiting() == 0  # refused records are not resent

        want = sum(10 + i for i in range(5)) + sum(20 + i for i in range(5)) + 7
        for k in ("a1", "a2"):
            (ch,) = feed(srv, k).challenges
            assert ch.progress == want and ch.participants == 8
            # the leaderboard names only the three who chose a nickname: p4 did 14 + 21 on
            # both kiosks; p3 (13 + 20) did more than p7 but chose no nickname
            assert [(x.rank, x.nickname, x.value) for x in ch.leaders] == [
                (1, "四叔", 35), (2, "Seven", 24), (3, "Two", 12)]
        assert inbox(srv, "a2", people[0]).votes == {poll_id: [first_of_p0]}
        assert inbox(srv, "a1", people[4]).contributions == {challenge_id: 14 + 21}
        assert feed(srv, "a2").events[0].signed_up == 3
        assert inbox(srv, "a2", people[2]).signups == [event_id]

        # --- the manager sees it all in the browser ---------------------------------------
        page.goto(f"{srv.url}/community/challenges/{challenge_id}")
        assert page.inner_text("#progress-value") == f"{want:,}"
        assert "Residents taking part: 8" in page.inner_text("#progress")
        shoot(page, shots, "challenge-en")
        page.goto(f"{srv.url}/community/polls/{poll_id}")
        overall = page.locator("#overall-results td[data-count]").all_inner_texts()
        assert overall == ["6", "<5", "<5"]  # 6, 3 and 3 residents
        assert "Answers: 12" in page.inner_text("#overall")
        ages_rows = page.locator("#by-age tbody tr")
        assert [ages_rows.nth(i).get_attribute("data-row") for i in range(ages_rows.count())] == [
            "65-69", "70-74", "75-79", "80-84"]
        by_age = page.locator("#by-age tr[data-row='70-74']")
        assert by_age.locator("td[data-answers]").inner_text() == "6"  # p1 p2 p5 p7 p8 p9
        assert by_age.locator("td[data-choice]").all_inner_texts() == ["<5", "<5", "<5"]
        day = page.locator("#by-day tbody tr td[data-answers]").all_inner_texts()
        assert day == ["12"]
        shoot(page, shots, "poll-en")
        page.goto(f"{srv.url}/community/events/{event_id}")
        assert page.inner_text("#signup-count") == "3 signed up"
        codes = page.locator("#signups td.code").all_inner_texts()
        assert len(codes) == 3 and all(re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}", c) for c in codes)
        assert set(codes) == {f"{p[-8:-4]}-{p[-4:]}".upper() for p in people[:3]}
        shoot(page, shots, "event-en")
        page.emulate_media(media="print")
        assert not page.locator(".topbar").is_visible() and page.locator("#signup-sheet").is_visible()
        page.pdf(path=str(shots / "event-signups-print.pdf")) if hasattr(page, "pdf") else None
        shoot(page, shots, "event-print")
        page.emulate_media(media="screen")

        # --- feedback: the manager replies in the browser, the inbox brings it back -------
        page.goto(f"{srv.url}/community/feedback")
        item = page.locator(f"[data-feedback='{fb.key}']")
        assert "rowing machine" in item.inner_text()
        assert page.locator("section[data-topic=praise] textarea").count() == 0  # a guest's
        shoot(page, shots, "feedback-en")
        item.locator("textarea[name=reply]").fill("Thank you, it was fixed on Tuesday.")
        item.locator("input[name=handled]").check()
        with page.expect_navigation():
            item.locator(".reply-submit").click()
        assert page.locator(f"[data-feedback='{fb.key}']").count() == 0  # no longer open
        page.goto(f"{srv.url}/community/feedback?status=handled")
        assert "fixed on Tuesday" in page.locator(f"[data-feedback='{fb.key}'] .reply-text").inner_text()
        replies = inbox(srv, "a2", people[1]).replies
        assert [(r.feedback, r.topic, r.text) for r in replies] == [
            (fb.key, "equipment_broken", "Thank you, it was fixed on Tuesday.")]

        # --- screenshots in both languages ------------------------------------------------
        for lang in ("en", "zh_CN"):
            if lang == "zh_CN":
                with page.expect_navigation():
                    page.click(".lang-switch button[value='zh_CN']")
            for name, path in (
                ("challenges", "/community/challenges"),
                ("challenge", f"/community/challenges/{challenge_id}"),
                ("polls", "/community/polls"),
                ("poll", f"/community/polls/{poll_id}"),
                ("events", "/community/events"),
                ("event", f"/community/events/{event_id}"),
                ("feedback", "/community/feedback?status=all"),
                ("announcements", "/community/announcements"),
            ):
                page.goto(srv.url + path)
                shoot(page, shots, f"{name}-{lang}")
        assert "挑战赛" in page.inner_text(".tabs")
        page.goto(f"{srv.url}/community/events/{event_id}")
        assert page.inner_text("#signup-count") == "已报名 3 人"
        page.goto(f"{srv.url}/community/polls/{poll_id}")
        assert "按年龄段" in page.inner_text("main")
    finally:
        a1.close()
        a2.close()
        page.close()


def test_pages_are_guarded(srv: Server) -> None:
    url = srv.url
    srv.publish("east", __import__("tests.community.server_fixture", fromlist=["poll"]).poll(), "poll")
    # no login: a redirect to the login page, no data
    for path in ("/community/challenges", "/community/polls/po-class", "/community/feedback"):
        r = requests.get(url + path, allow_redirects=False, timeout=10)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = requests.post(url + "/community/polls", data={"title_en": "x"}, allow_redirects=False, timeout=10)
    assert r.status_code in (401, 403)
    # a kiosk token does not open the pages
    r = requests.get(url + "/community/polls", headers=srv.auth("a1"), allow_redirects=False, timeout=10)
    assert r.status_code == 303
    west = session_as(srv, "west-m")
    assert west.get(url + "/community/polls/po-class", timeout=10).status_code == 404
    assert west.get(url + "/community/polls?community=east", timeout=10).status_code == 403
    assert "po-class" not in west.get(url + "/community/polls", timeout=10).text
    token = csrf_of(west, url + "/community/polls")
    end = west.post(url + "/community/polls/po-class/end", data={"csrf_token": token}, timeout=10)
    assert end.status_code == 404  # another community's poll cannot be ended
    east = session_as(srv, "east-m")
    token = csrf_of(east, url + "/community/polls")
    # CSRF: no token, a wrong token, another site's Origin
    assert east.post(url + "/community/polls/po-class/end", data={}, timeout=10).status_code == 403
    assert east.post(url + "/community/polls/po-class/end", data={"csrf_token": "x" * 32},
                     timeout=10).status_code == 403
    assert east.post(url + "/community/polls/po-class/end", data={"csrf_token": token},
                     headers={"Origin": "http://evil.example"}, timeout=10).status_code == 403
    # bad forms and pictures are refused with a message
    bad = east.post(url + "/community/polls", data={"csrf_token": token, "title_en": "Q",
                                                    "choices_en": "only one", "starts_at": "2026-01-01T00:00",
                                                    "ends_at": "2026-02-01T00:00"}, timeout=10)
    assert bad.status_code == 400 and "between 2 and 20 choices" in bad.text
    form = {"csrf_token": token, "title_en": "T", "body_en": "B", "starts_at": "2026-01-01T00:00",
            "ends_at": "2026-02-01T00:00"}
    gif = east.post(url + "/community/announcements", data=form,
                    files={"picture": ("x.gif", b"GIF89a" + b"\0" * 20, "image/gif")}, timeout=10)
    assert gif.status_code == 400 and "PNG or JPEG" in gif.text
    fake = east.post(url + "/community/announcements", data=form,
                     files={"picture": ("x.png", b"not a png at all", "image/png")}, timeout=10)
    assert fake.status_code == 400 and "not a PNG" in fake.text
    huge = east.post(url + "/community/announcements", data=form,
                     files={"picture": ("x.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 2_100_000, "image/png")},
                     timeout=30)
    assert huge.status_code == 400 and "over the limit" in huge.text
    assert east.post(url + "/community/challenges", data={**form, "community": "west"},
                     timeout=10).status_code == 403
    with srv.db.engine.connect() as conn:
        from sync.server.community import items

        assert items.listing(conn, None, "announcement") == []
    assert srv.get("a1", FEED_PATH).json()["announcements"] == []
