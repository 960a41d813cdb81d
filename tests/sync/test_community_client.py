"""The kiosk's community client against a real HTTP server on 127.0.0.1: the feed with its
ETag (304 keeps the copy), the cache on disk (survives a restart; a broken one is moved
aside, never a crash), bad answers refused by name with the last good copy kept, the
announcement pictures and a resident's inbox."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync.client import SyncSettings
from sync.community import FEED_PATH, INBOX_PATH, MAX_PICTURE_BYTES, PICTURE_PATH, Reply
from sync.community_client import MAX_FEED_BYTES, CommunityClient, CommunityError
from tests.sync.community_server import TOKEN, CommunityTestServer, picture_png, sample_feed


@pytest.fixture
def server():
    with CommunityTestServer(sample_feed()) as s:
        s.pictures["notice-1"] = picture_png()
        yield s


def client_for(url: str, directory: Path, token: str = TOKEN) -> CommunityClient:
    settings = SyncSettings(server_url=url, token=token, kiosk_id="k1", connect_timeout_s=1,
                            read_timeout_s=3)
    return CommunityClient(lambda: settings, directory)


def feed_gets(server: CommunityTestServer) -> list[dict[str, str]]:
    return [h for m, p, h in server.log if m == "GET" and p == FEED_PATH]


def test_feed_fetched_cached_and_304_keeps_the_copy_across_a_restart(server, tmp_path):
    c = client_for(server.url, tmp_path / "community")
    assert c.current() is None
    assert c.refresh() == "updated"
    first = c.current()
    assert first is not None and first.etag and first.feed.challenges[0].id == "squats-march"
    assert (tmp_path / "community" / "feed.json").is_file()
    assert (tmp_path / "community" / "pictures" / "notice-1.png").read_bytes() == picture_png()
    # nothing changed: the server says 304 to our ETag, the copy is confirmed, not refetched
    assert c.refresh() == "unchanged"
    assert feed_gets(server)[-1]["If-None-Match"] == first.etag
    second = c.current()
    assert second is not None and second.feed == first.feed and second.checked_at >= first.checked_at
    # a restart (a new client on the same directory) has the copy before any network
    again = client_for("http://127.0.0.1:9", tmp_path / "community")
    kept = again.current()
    assert kept is not None and kept.feed == first.feed and kept.etag == first.etag
    # the feed changes on the server: a new version and a new ETag
    server.base = server.base.model_copy(update={"polls": server.base.polls[:1]})
    assert c.refresh() == "updated"
    assert len(c.current().feed.polls) == 1 and c.current().etag != first.etag
    # header names are case-insensitive (uvicorn sends "etag")
    server.override[FEED_PATH] = (200, server.feed().model_dump_json().encode(),
                                  {"etag": '"lower-1"'})
    assert c.refresh() == "updated" and c.current().etag == '"lower-1"'


@pytest.mark.parametrize("garbage", [b"", b"{\"format\": 1, \"feed\": ", b"\x00\xff\xfe",
                                     b"[1, 2, 3]", b'{"format": 1, "etag": "x", "checked_at": '
                                     b'"2026-11-01T00:00:00+00:00", "feed": {"community": 5}}'])
def test_a_broken_cache_is_moved_aside_with_a_warning_never_a_crash(server, tmp_path, garbage,
                                                                    caplog):
    d = tmp_path / "community"
    d.mkdir()
    (d / "feed.json").write_bytes(garbage)
    c = client_for(server.url, d)
    assert c.current() is None
    assert "moved to" in c.cache.warning and "community cache was broken" in caplog.text
    moved = list((d / "corrupt").iterdir())
    assert len(moved) == 1 and moved[0].read_bytes() == garbage
    assert not (d / "feed.json").exists()
    assert c.refresh() == "updated" and c.current() is not None  # and it carries on


def test_a_power_cut_mid_write_leaves_the_old_copy(server, tmp_path):
    d = tmp_path / "community"
    c = client_for(server.url, d)
    c.refresh()
    good = (d / "feed.json").read_bytes()
    # what an interrupted atomic write leaves: a temp file beside the real one
    (d / ".feed.json.1234.tmp").write_bytes(good[: len(good) // 2])
    again = client_for(server.url, d)
    assert again.current() is not None and again.current().feed == c.current().feed


BAD_ANSWERS = [
    (200, b"<html>proxy login</html>", {}, "not valid"),
    (200, b'{"community": "c", "version": 1}', {}, "generated_at"),
    (200, json.dumps({"community": "c", "version": 1, "generated_at": "2026-11-01T00:00:00Z",
                      "surprise": 1}).encode(), {}, "surprise"),
    (200, json.dumps({"community": "c", "version": 1, "generated_at": "2026-11-01T00:00:00Z",
                      "polls": [{"id": "p", "title": {"en": "x"}, "choices": [{"en": "a"}],
                                 "starts_at": "2026-11-01T00:00:00Z",
                                 "ends_at": "2026-11-02T00:00:00Z"}]}).encode(), {}, "choices"),
    (200, b"[" * 100_000, {}, "not valid"),
    (200, b" " * (MAX_FEED_BYTES + 10), {}, "too large"),
    (200, b"{}", {"Content-Length": str(MAX_FEED_BYTES + 1)}, "too large"),
    (500, b'{"detail": "boom"}', {}, "answered 500"),
    (404, b'{"detail": "not found"}', {}, "answered 404"),
]


@pytest.mark.parametrize(("code", "body", "headers", "said"), BAD_ANSWERS,
                         ids=["html", "missing", "extra", "one-choice", "deep", "huge",
                              "declared-huge", "500", "404"])
def test_bad_answers_are_refused_by_name_and_the_last_good_copy_stays(server, tmp_path, code,
                                                                      body, headers, said):
    c = client_for(server.url, tmp_path / "community")
    c.refresh()
    good = c.current()
    if "Content-Length" in headers:  # a lie in the header: the client must not trust it
        server.override[FEED_PATH] = (code, body, headers)
    else:
        server.override[FEED_PATH] = (code, body, {"Content-Type": "application/json"})
    with pytest.raises(CommunityError) as err:
        c.refresh()
    assert said in str(err.value)
    assert c.current() == good and said in c.last_error
    assert client_for(server.url, tmp_path / "community").current().feed == good.feed
    state, detail = c.status_detail()
    assert state == "warning" and said in detail


def test_no_network_no_token_and_a_refused_token_are_clear_errors(server, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(CommunityError, match="cannot reach"):
        client_for(dead, tmp_path / "a").refresh()
    with pytest.raises(CommunityError, match="no sync token"):
        client_for(server.url, tmp_path / "b", token="").refresh()
    with pytest.raises(CommunityError, match="401"):
        client_for(server.url, tmp_path / "c", token="wrong").refresh()


def test_pictures_must_be_pictures_and_old_ones_are_dropped(server, tmp_path):
    c = client_for(server.url, tmp_path / "community")
    server.pictures["notice-1"] = b"GIF89a not allowed"
    c.refresh()
    assert c.picture("notice-1") is None  # refused, logged; the feed itself is fine
    with pytest.raises(CommunityError, match="neither PNG nor JPEG"):
        c.fetch_picture("notice-1")
    server.override[f"{PICTURE_PATH}/notice-1"] = (200, b"\x89PNG\r\n\x1a\n" + b"0" *
                                                   MAX_PICTURE_BYTES, {})
    with pytest.raises(CommunityError, match="too large"):
        c.fetch_picture("notice-1")
    del server.override[f"{PICTURE_PATH}/notice-1"]
    server.pictures["notice-1"] = picture_png()
    assert c.fetch_picture("notice-1").suffix == ".png"
    server.base = server.base.model_copy(update={"announcements": []})
    c.refresh()
    assert c.picture("notice-1") is None


def test_a_residents_inbox(server, tmp_path):
    c = client_for(server.url, tmp_path / "community")
    server.replies["r-1"] = [Reply(feedback="f-1", topic="praise", text="谢谢您！",
                                   replied_at=datetime.now(UTC) - timedelta(hours=1))]
    inbox = c.fetch_inbox("r-1")
    assert inbox.resident == "r-1" and inbox.replies[0].text == "谢谢您！"
    server.override[f"{INBOX_PATH}/r-2"] = (200, server.inbox("r-1").model_dump_json().encode(), {})
    with pytest.raises(CommunityError, match="another resident"):
        c.fetch_inbox("r-2")
    server.override[f"{INBOX_PATH}/r-3"] = (200, b'{"resident": "r-3"}', {})
    with pytest.raises(CommunityError, match="generated_at"):
        c.fetch_inbox("r-3")
