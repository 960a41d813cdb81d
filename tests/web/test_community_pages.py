"""Community pages over plain HTTP: edit and end a challenge, a district manager's pick.

(The browser test, ``test_community_browser.py``, drives the same pages in Chromium.)
"""

from __future__ import annotations

from datetime import timedelta

from sync.community import FEED_PATH
from tests.community.server_fixture import NOW, Server, squats
from tests.web.community_server import (
    community_server,  # noqa: F401 - the srv fixture
    csrf_of,
    local_input,
    session_as,
)


def _challenge_form(token: str, **over: str) -> dict[str, str]:
    form = {"csrf_token": token, "title_en": "Steps", "title_zh": "步数", "metric": "repetitions",
            "goal": "100", "activities": "squat", "scope": "community",
            "starts_at": local_input(-1), "ends_at": local_input(10)}
    form.update(over)
    return form


def test_edit_recounts_and_end_takes_the_challenge_off_the_feed(srv: Server) -> None:
    assert srv.post("a1", [squats("a1", "r1", 10), squats("a1", "r2", 4, exercise="march"),
                           squats("a1", "r3", 6, at=NOW - timedelta(days=3))]).status_code == 200
    east = session_as(srv, "east-m")
    token = csrf_of(east, srv.url + "/community/challenges")
    r = east.post(srv.url + "/community/challenges", data=_challenge_form(token), allow_redirects=False)
    assert r.status_code == 303
    cid = r.headers["location"].rsplit("/", 1)[1]
    assert srv.get("a1", FEED_PATH).json()["challenges"][0]["progress"] == 10
    # wider: every exercise, from four days ago
    r = east.post(srv.url + f"/community/challenges/{cid}",
                  data=_challenge_form(token, activities="", starts_at=local_input(-4)),
                  allow_redirects=False)
    assert r.status_code == 303
    (ch,) = srv.get("a1", FEED_PATH).json()["challenges"]
    assert ch["progress"] == 20 and ch["activities"] == []
    page = east.get(srv.url + f"/community/challenges/{cid}").text
    assert 'id="progress-value">20<' in page and 'http-equiv="refresh"' in page
    assert east.post(srv.url + f"/community/challenges/{cid}/end", data={"csrf_token": token},
                     allow_redirects=False).status_code == 303
    assert srv.get("a1", FEED_PATH).json()["challenges"] == []
    page = east.get(srv.url + f"/community/challenges/{cid}").text
    assert 'data-state="ended"' in page and "end-item" not in page
    # a record arriving late from before the end still counts
    assert srv.post("a2", [squats("a2", "r4", 5, at=NOW - timedelta(hours=1))]).status_code == 200
    assert 'id="progress-value">25<' in east.get(srv.url + f"/community/challenges/{cid}").text


def test_a_district_manager_picks_the_community(srv: Server) -> None:
    district = session_as(srv, "district")
    token = csrf_of(district, srv.url + "/community/challenges")
    no_pick = district.post(srv.url + "/community/challenges", data=_challenge_form(token))
    assert no_pick.status_code == 400 and "choose the community" in no_pick.text
    r = district.post(srv.url + "/community/challenges",
                      data=_challenge_form(token, community="west"), allow_redirects=False)
    assert r.status_code == 303
    assert len(srv.get("b1", FEED_PATH).json()["challenges"]) == 1
    assert srv.get("a1", FEED_PATH).json()["challenges"] == []
    listing = district.get(srv.url + "/community/challenges?community=west").text
    assert "Steps" in listing
    assert "Steps" not in district.get(srv.url + "/community/challenges?community=east").text
    east = session_as(srv, "east-m")
    assert east.get(srv.url + r.headers["location"]).status_code == 404


def test_feedback_replies_stay_in_their_community(srv: Server) -> None:
    from sync.community import INBOX_PATH
    from tests.community.server_fixture import feedback

    mine, guests = feedback("a1", "r1", comment="loose handle"), feedback("a1", "guest", topic="praise")
    assert srv.post("a1", [mine, guests]).status_code == 200
    west = session_as(srv, "west-m")
    token = csrf_of(west, srv.url + "/community/feedback")
    assert "loose handle" not in west.get(srv.url + "/community/feedback?status=all").text
    r = west.post(srv.url + f"/community/feedback/a1/{mine.key}", data={"csrf_token": token, "reply": "hi"})
    assert r.status_code == 404
    assert west.post(srv.url + f"/community/feedback/a1/{mine.key}x", data={"csrf_token": token,
                     "reply": "hi"}).status_code == 404
    east = session_as(srv, "east-m")
    token = csrf_of(east, srv.url + "/community/feedback")
    r = east.post(srv.url + f"/community/feedback/a1/{guests.key}", data={"csrf_token": token, "reply": "thanks"})
    assert r.status_code == 400 and "guest" in r.text
    r = east.post(srv.url + f"/community/feedback/a1/{guests.key}",
                  data={"csrf_token": token, "handled": "on"}, allow_redirects=False)
    assert r.status_code == 303
    r = east.post(srv.url + f"/community/feedback/a1/{mine.key}",
                  data={"csrf_token": token, "reply": "x" * 2001})
    assert r.status_code == 400
    r = east.post(srv.url + f"/community/feedback/a1/{mine.key}",
                  data={"csrf_token": token, "reply": "We tightened it.", "next": "//evil.example/"},
                  allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/community/feedback"
    replies = srv.get("a2", f"{INBOX_PATH}/r1").json()["replies"]
    assert [x["text"] for x in replies] == ["We tightened it."]
    handled = east.get(srv.url + "/community/feedback?status=handled").text
    assert "We tightened it." in handled and guests.key in handled
    assert east.get(srv.url + "/community/feedback?status=nope").status_code == 400
