"""A small community server on 127.0.0.1 for the kiosk side's tests: real HTTP, real sockets.

The real server side of community life is built in parallel (``sync/server/community``);
until it lands, the kiosk's tests talk to this one. It takes records the way the ingest
API does (gzip, per-record results, exactly once by uuid, a second vote on a poll refused
as "already voted"), and serves the feed (progress summed with the contract's one rule,
``sync.community.counts_toward``, over what it received; a strong ETag, 304 on
``If-None-Match``), each resident's inbox and the announcements' pictures. Tests can make
any route answer with bytes of their choosing (``override``) to check bad payloads.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sync.api import HEALTH_PATH, HEARTBEAT_PATH, PROFILES_PATH, RECORDS_PATH
from sync.community import (
    FEED_PATH,
    INBOX_PATH,
    PICTURE_PATH,
    Feed,
    Reply,
    ResidentInbox,
    counts_toward,
)
from sync.records import EventSignup, PollVote, Record, RecordError, parse_record

TOKEN = "community-test-token"


class CommunityTestServer:
    def __init__(self, base: Feed, token: str = TOKEN) -> None:
        self.base = base
        self.token = token
        self.lock = threading.Lock()
        self.records: dict[str, Record] = {}
        self.votes: dict[tuple[str, str], str] = {}
        self.replies: dict[str, list[Reply]] = {}
        self.pictures: dict[str, bytes] = {}
        self.override: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        """path -> (status, body, headers) answered instead of the real thing."""
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self.now: datetime | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                server._handle(self, "POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> CommunityTestServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- what the server knows -----------------------------------------------------
    def feed(self) -> Feed:
        with self.lock:
            records = list(self.records.values())
        challenges = []
        for c in self.base.challenges:
            if c.metric == "residents_tested":
                progress = float(len({r.resident for r in records if r.resident != "guest"
                                      and counts_toward(c, r) > 0}))
            else:
                progress = sum(counts_toward(c, r) for r in records)
            challenges.append(c.model_copy(update={"progress": progress}))
        events = []
        for e in self.base.events:
            events.append(e.model_copy(update={"signed_up": len(self.signed_up(e.id))}))
        content = self.base.model_copy(update={"challenges": challenges, "events": events})
        digest = hashlib.sha256(content.model_dump_json(exclude={"generated_at"}).encode())
        version = int(digest.hexdigest()[:8], 16)
        return content.model_copy(update={"version": version,
                                          "generated_at": self.now or datetime.now(UTC)})

    def etag(self, feed: Feed) -> str:
        return f'"{feed.version:x}"'

    def signed_up(self, event_id: str) -> set[str]:
        latest: dict[str, EventSignup] = {}
        with self.lock:
            for r in self.records.values():
                if isinstance(r, EventSignup) and r.event_id == event_id:
                    old = latest.get(r.resident)
                    if old is None or r.decided_at >= old.decided_at:
                        latest[r.resident] = r
        return {res for res, r in latest.items() if r.action == "sign_up"}

    def inbox(self, resident: str) -> ResidentInbox:
        with self.lock:
            mine = [r for r in self.records.values() if r.resident == resident]
            votes = {r.poll_id: list(r.choices) for r in mine
                     if isinstance(r, PollVote) and self.votes.get((r.poll_id, resident)) == r.key}
            replies = list(self.replies.get(resident, []))
        signups = [e.id for e in self.base.events if resident in self.signed_up(e.id)]
        contributions = {}
        for c in self.base.challenges:
            if c.metric == "residents_tested":
                value = 1.0 if any(counts_toward(c, r) > 0 for r in mine) else 0.0
            else:
                value = sum(counts_toward(c, r) for r in mine)
            contributions[c.id] = value
        return ResidentInbox(resident=resident, votes=votes, signups=signups, replies=replies,
                             contributions=contributions, generated_at=datetime.now(UTC))

    def take(self, record: Record) -> str:
        """Receive one record as the ingest API does; returns its status."""
        with self.lock:
            if record.key in self.records:
                return "unchanged"
            if isinstance(record, PollVote):
                first = self.votes.get((record.poll_id, record.resident))
                if first is not None and first != record.key:
                    return "rejected"
                self.votes[(record.poll_id, record.resident)] = record.key
            self.records[record.key] = record
            return "created"

    # --- HTTP ----------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        path = h.path.split("?", 1)[0]
        headers = {k: v for k, v in h.headers.items()}
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        self.log.append((method, path, headers))
        if path in self.override:
            code, data, extra = self.override[path]
            return self._send(h, code, data, extra)
        if path == HEALTH_PATH:
            return self._json(h, 200, {"status": "ok"})
        if h.headers.get("Authorization") != f"Bearer {self.token}":
            return self._json(h, 401, {"detail": "bad token"})
        if method == "POST" and path == RECORDS_PATH:
            if h.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            return self._records(h, json.loads(body))
        if method == "POST" and path == HEARTBEAT_PATH:
            return self._json(h, 200, {"detail": "ok"})
        if path == PROFILES_PATH:
            return self._json(h, 200, {"profiles": []})
        if path == FEED_PATH:
            feed = self.feed()
            etag = self.etag(feed)
            if h.headers.get("If-None-Match") == etag:
                return self._send(h, 304, b"", {"ETag": etag})
            return self._send(h, 200, feed.model_dump_json().encode(),
                              {"ETag": etag, "Content-Type": "application/json"})
        if path.startswith(INBOX_PATH + "/"):
            resident = path[len(INBOX_PATH) + 1:]
            return self._send(h, 200, self.inbox(resident).model_dump_json().encode(),
                              {"Content-Type": "application/json"})
        if path.startswith(PICTURE_PATH + "/"):
            data = self.pictures.get(path[len(PICTURE_PATH) + 1:])
            if data is None:
                return self._json(h, 404, {"detail": "no picture"})
            return self._send(h, 200, data, {"Content-Type": "image/png"})
        return self._json(h, 404, {"detail": "not found"})

    def _records(self, h: BaseHTTPRequestHandler, doc: dict[str, Any]) -> None:
        results = []
        for i, raw in enumerate(doc.get("records", [])):
            try:
                rec = parse_record(raw)
            except RecordError as exc:
                results.append({"index": i, "uuid": raw.get("uuid"), "status": "rejected",
                                "errors": [{"field": "record", "message": str(exc)[:200]}]})
                continue
            status = self.take(rec)
            entry: dict[str, Any] = {"index": i, "uuid": rec.key, "status": status}
            if status == "rejected":
                entry["errors"] = [{"field": "poll_id", "message": "already voted"}]
            results.append(entry)
        self._json(h, 200, {"results": results,
                            "accepted": sum(r["status"] != "rejected" for r in results)})

    def _json(self, h: BaseHTTPRequestHandler, code: int, doc: dict[str, Any]) -> None:
        self._send(h, code, json.dumps(doc).encode(), {"Content-Type": "application/json"})

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, code: int, data: bytes, headers: dict[str, str]) -> None:
        h.send_response(code)
        for k, v in headers.items():
            h.send_header(k, v)
        if code != 304 and "Content-Length" not in headers:
            h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if code != 304:
            h.wfile.write(data)


def sample_feed(now: datetime | None = None, community: str = "default") -> Feed:
    """A feed like a community's in its second week: challenges of each kind, two events, a
    single- and a multiple-choice poll, an announcement with a picture, topics and teams."""
    from datetime import timedelta

    now = now or datetime.now(UTC)
    start, end = now - timedelta(days=10), now + timedelta(days=20)

    def t(zh: str, en: str) -> dict[str, str]:
        return {"zh_CN": zh, "en": en}

    return Feed.model_validate({
        "community": community, "version": 1, "generated_at": now,
        "today": {"day": now.astimezone().date().isoformat(), "sessions": 37,
                  "repetitions": 912, "active_minutes": 140.5, "lessons_completed": 6},
        "challenges": [
            {"id": "squats-march", "title": t("全社区深蹲两万次", "20,000 squats together"),
             "description": t("每一次深蹲都算数。", "Every squat counts."),
             "metric": "repetitions", "activities": ["squat"], "goal": 20000,
             "starts_at": start, "ends_at": end, "progress": 0, "participants": 42,
             "leaders": [{"rank": 1, "nickname": "阿强", "value": 1260},
                         {"rank": 2, "nickname": "lily", "value": 900},
                         {"rank": 2, "nickname": "Sunny", "value": 900}]},
            {"id": "lessons-500", "title": t("完成五百节课", "500 lessons completed"),
             "metric": "lessons_completed", "goal": 500, "starts_at": start, "ends_at": end},
            {"id": "tested-100", "title": t("一百位居民做体测", "100 residents take a test"),
             "metric": "residents_tested", "goal": 100, "starts_at": start, "ends_at": end},
        ],
        "events": [
            {"id": "taichi-1", "title": t("太极拳晨练", "Morning tai chi"),
             "place": t("中心花园", "Central garden"),
             "description": t("请穿舒适的鞋。", "Wear comfortable shoes."),
             "capacity": 20, "starts_at": now + timedelta(days=2, hours=1),
             "ends_at": now + timedelta(days=2, hours=2)},
            {"id": "health-talk", "title": t("健康讲座：防跌倒", "Health talk: preventing falls"),
             "place": t("活动室", "Activity room"), "capacity": 1,
             "starts_at": now + timedelta(days=5), "ends_at": now + timedelta(days=5, hours=1)},
        ],
        "polls": [
            {"id": "new-class", "title": t("我们再开哪门课？", "Which class should we add?"),
             "choices": [t("八段锦", "Baduanjin"), t("广场舞", "Square dancing"),
                         t("手机课", "Using a smartphone")],
             "starts_at": start, "ends_at": end},
            {"id": "path-rating", "title": t("新健身步道哪些地方好？", "What is good about the new path?"),
             "choices": [t("平整", "Even"), t("有灯", "Well lit"), t("有座椅", "Benches"),
                         t("有树荫", "Shade")], "multiple": True, "max_choices": 2,
             "starts_at": start, "ends_at": end},
        ],
        "announcements": [
            {"id": "notice-1", "title": t("新器械到了", "New equipment has arrived"),
             "body": t("北门旁新装了两台健身器材，欢迎来试。",
                       "Two new machines stand by the north gate. Come and try them."),
             "picture": True, "starts_at": start, "ends_at": end},
        ],
        "feedback_topics": [
            {"id": "equipment_broken", "title": t("设备坏了", "Something is broken")},
            {"id": "suggestion", "title": t("建议", "A suggestion")},
            {"id": "praise", "title": t("表扬", "Praise")},
        ],
        "teams": [{"id": "building-3", "title": t("三号楼", "Building 3")}],
    })


def picture_png() -> bytes:
    """A real PNG (an announcement's picture): two machines under a tree, drawn with Pillow."""
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (480, 320), (215, 235, 245))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 240, 480, 320), fill=(120, 180, 90))
    d.ellipse((320, 40, 460, 180), fill=(60, 140, 70))
    d.rectangle((380, 170, 400, 250), fill=(110, 80, 50))
    for x in (60, 180):
        d.rectangle((x, 150, x + 80, 250), outline=(200, 80, 30), width=8)
        d.ellipse((x + 25, 120, x + 55, 150), fill=(200, 80, 30))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
