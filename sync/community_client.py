"""The kiosk side of the community pull channel: fetch the feed, keep the last good copy.

Why this module exists: challenges, events, polls and announcements are made on the
server (``sync.community``) and a kiosk must show them whether or not the network is
there today. This client fetches the feed with ``If-None-Match`` (``304``: the copy
is still current), keeps it on disk under ``<data dir>/community`` written atomically
(temp file, fsync, rename: a power cut leaves the old copy or the new one), and says
how old the copy is. A cache file that cannot be read is moved aside with a warning
and the kiosk carries on without a copy; a bad answer from the server (not JSON, not
a feed, too large, a picture that is not a picture) is a :class:`CommunityError`
naming the problem, and the last good copy stays. A resident's own view (their votes,
sign-ups, replies and contributions) is fetched at sign-in and kept in memory only.

Kivy-free; the sync service calls :meth:`CommunityClient.refresh` after each push
pass, the community screens read :meth:`CommunityClient.current`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import requests
from pydantic import ValidationError

from sync.client import SyncSettings
from sync.community import (
    FEED_PATH,
    INBOX_PATH,
    MAX_PICTURE_BYTES,
    PICTURE_PATH,
    Feed,
    ResidentInbox,
)
from sync.storage import atomic_write_bytes

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 4_000_000
"""A feed is small by construction (at most 50 items of each kind); more is refused."""
MAX_INBOX_BYTES = 1_000_000
CACHE_FORMAT = 1

Outcome = Literal["updated", "unchanged"]


class CommunityError(RuntimeError):
    """The server could not be asked, or its answer was refused; the message says which."""


@dataclass(frozen=True)
class CachedFeed:
    """The last good feed, its ETag and when the server last confirmed it (kiosk clock, UTC)."""

    feed: Feed
    etag: str
    checked_at: datetime

    def age_s(self, now: datetime | None = None) -> float:
        """Seconds since the server last confirmed this copy (never negative)."""
        now = now or datetime.now(UTC)
        return max(0.0, (now - self.checked_at).total_seconds())


def _utc(text: object) -> datetime:
    if not isinstance(text, str):
        raise ValueError("checked_at missing")
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError("checked_at without a time zone")
    return when.astimezone(UTC)


def _first_problem(exc: ValidationError) -> str:
    """Where and what, of the first problem pydantic found."""
    errors = exc.errors()
    if not errors:
        return str(exc)
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"]) or "the document"
    return f"{where}: {first['msg']}"


def parse_feed(raw: bytes) -> Feed:
    """A feed from the server's bytes; ``CommunityError`` naming what is wrong."""
    if len(raw) > MAX_FEED_BYTES:
        raise CommunityError(f"the community feed is too large ({len(raw)} bytes, "
                             f"at most {MAX_FEED_BYTES})")
    try:
        return Feed.model_validate_json(raw)
    except ValidationError as exc:
        raise CommunityError(f"the community feed is not valid: {_first_problem(exc)}") from None


def parse_inbox(raw: bytes, resident: str) -> ResidentInbox:
    if len(raw) > MAX_INBOX_BYTES:
        raise CommunityError(f"the resident's community view is too large ({len(raw)} bytes)")
    try:
        inbox = ResidentInbox.model_validate_json(raw)
    except ValidationError as exc:
        raise CommunityError("the resident's community view is not valid: "
                             f"{_first_problem(exc)}") from None
    if inbox.resident != resident:
        raise CommunityError("the server answered with another resident's community view")
    return inbox


def picture_kind(data: bytes) -> str | None:
    """``"png"`` or ``"jpg"`` from the first bytes; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    return None


@dataclass(frozen=True)
class InboxCopy:
    """A resident's inbox and which of their records it already counts: ``seen`` are the
    resident's records the server had acknowledged when the inbox was asked for."""

    inbox: ResidentInbox
    seen: frozenset[str]


class CommunityCache:
    """The feed and the announcement pictures on disk (``<data dir>/community``)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.feed_file = directory / "feed.json"
        self.pictures = directory / "pictures"
        self.corrupt = directory / "corrupt"
        self.warning = ""
        """What went wrong reading the cache at start (shown on the maintainer page)."""

    def load(self) -> CachedFeed | None:
        """The cached copy; None when there is none or it is broken (then moved aside)."""
        try:
            raw = self.feed_file.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self.warning = f"community cache unreadable: {exc}"
            log.warning("%s", self.warning)
            return None
        try:
            doc = json.loads(raw)
            if not isinstance(doc, dict) or doc.get("format") != CACHE_FORMAT:
                raise ValueError("not a community cache of this version")
            feed = Feed.model_validate(doc.get("feed"))
            etag = doc.get("etag")
            if not isinstance(etag, str):
                raise ValueError("etag missing")
            return CachedFeed(feed, etag, _utc(doc.get("checked_at")))
        except (ValueError, ValidationError, RecursionError) as exc:
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            moved = self._move_aside()
            self.warning = f"community cache was broken ({reason}); moved to {moved}"
            log.warning("%s", self.warning)
            return None

    def _move_aside(self) -> Path:
        self.corrupt.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.corrupt / f"feed.{stamp}.json"
        try:
            self.feed_file.replace(target)
        except OSError as exc:
            log.warning("could not move the broken community cache aside: %s", exc)
        return target

    def save(self, cached: CachedFeed) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        doc = {"format": CACHE_FORMAT, "etag": cached.etag,
               "checked_at": cached.checked_at.isoformat(),
               "feed": cached.feed.model_dump(mode="json")}
        atomic_write_bytes(self.feed_file, json.dumps(doc, ensure_ascii=False).encode("utf-8"))

    def picture(self, announcement: str) -> Path | None:
        for suffix in ("png", "jpg"):
            path = self.pictures / f"{announcement}.{suffix}"
            if path.is_file():
                return path
        return None

    def save_picture(self, announcement: str, data: bytes, kind: str) -> Path:
        self.pictures.mkdir(parents=True, exist_ok=True)
        path = self.pictures / f"{announcement}.{kind}"
        atomic_write_bytes(path, data)
        return path

    def drop_pictures_except(self, keep: Iterable[str]) -> None:
        """Pictures of announcements no longer in the feed are deleted."""
        wanted = set(keep)
        if not self.pictures.is_dir():
            return
        for path in self.pictures.iterdir():
            if path.stem not in wanted and not path.name.startswith("."):
                try:
                    path.unlink()
                except OSError:
                    pass


class CommunityClient:
    """Fetches and keeps the community feed; thread-safe (the sync thread writes, the UI reads)."""

    def __init__(self, settings: Callable[[], SyncSettings], directory: Path,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._settings = settings
        self.cache = CommunityCache(directory)
        self.clock = clock
        self._lock = threading.Lock()
        self._loaded = False
        self._current: CachedFeed | None = None
        self._acked_since_feed: set[str] = set()
        self.last_error = ""
        self.last_error_at: datetime | None = None

    # --- the copy ------------------------------------------------------------------
    def current(self) -> CachedFeed | None:
        """The last good feed (read from disk the first time), or None."""
        with self._lock:
            if not self._loaded:
                self._loaded = True
                self._current = self.cache.load()
            return self._current

    def acked_since_feed(self) -> frozenset[str]:
        """Records the server acknowledged after the current copy was built: the copy does not
        count them yet, so the kiosk still adds them (see ``sync.community_progress``)."""
        with self._lock:
            return frozenset(self._acked_since_feed)

    def note_acked(self, uuids: Iterable[str]) -> None:
        """The sync pass had these records acknowledged (before the feed is pulled again)."""
        with self._lock:
            self._acked_since_feed.update(uuids)

    def picture(self, announcement: str) -> Path | None:
        return self.cache.picture(announcement)

    # --- fetching ------------------------------------------------------------------
    def _get(self, path: str, headers: dict[str, str], limit: int,
             timeout: tuple[float, float] | None = None
             ) -> tuple[int, bytes, Mapping[str, str]]:
        s = self._settings()
        if not s.token:
            raise CommunityError("no sync token configured")
        url = s.server_url.rstrip("/") + path
        try:
            with requests.get(url, headers={"Authorization": f"Bearer {s.token}", **headers},
                              timeout=timeout or (s.connect_timeout_s, s.read_timeout_s),
                              verify=s.verify, stream=True) as r:
                declared = r.headers.get("Content-Length")
                if declared is not None and declared.isdigit() and int(declared) > limit:
                    raise CommunityError(f"the answer for {path} is too large "
                                         f"({declared} bytes, at most {limit})")
                body = b""
                if r.status_code == 200:
                    for chunk in r.iter_content(65536):
                        body += chunk
                        if len(body) > limit:
                            raise CommunityError(f"the answer for {path} is too large "
                                                 f"(more than {limit} bytes)")
                return r.status_code, body, r.headers  # case-insensitive names
        except requests.RequestException as exc:
            raise CommunityError(f"cannot reach {s.server_url}: {type(exc).__name__}") from None

    def _fail(self, message: str) -> CommunityError:
        with self._lock:
            self.last_error = message
            self.last_error_at = self.clock()
        log.warning("community feed: %s", message)
        return CommunityError(message)

    def note_unreachable(self, message: str) -> None:
        """The server could not be reached by the sync pass: the copy is now an offline one."""
        self._fail(message)

    def refresh(self) -> Outcome:
        """Ask the server for the feed; ``"updated"`` or ``"unchanged"`` (304), else raises
        ``CommunityError`` and keeps the last good copy."""
        cached = self.current()
        headers = {"If-None-Match": cached.etag} if cached and cached.etag else {}
        try:
            code, body, answer = self._get(FEED_PATH, headers, MAX_FEED_BYTES)
        except CommunityError as exc:
            raise self._fail(str(exc)) from None
        now = self.clock()
        if code == 304 and cached is not None:
            fresh = CachedFeed(cached.feed, cached.etag, now)
            outcome: Outcome = "unchanged"
        elif code == 200:
            try:
                feed = parse_feed(body)
            except CommunityError as exc:
                raise self._fail(str(exc)) from None
            etag = answer.get("ETag") or ""
            fresh = CachedFeed(feed, etag[:200], now)
            outcome = "updated"
        elif code == 401:
            raise self._fail("the server refused this kiosk's token (401)")
        else:
            raise self._fail(f"the server answered {code} for the community feed")
        try:
            self.cache.save(fresh)
        except OSError as exc:  # a full disk: the copy in memory is still good
            log.warning("community feed not cached on disk: %s", exc)
        with self._lock:
            self._current = fresh
            self._acked_since_feed.clear()
            self.last_error = ""
        if outcome == "updated":
            self._fetch_pictures(fresh.feed)
        return outcome

    def _fetch_pictures(self, feed: Feed) -> None:
        wanted = [a.id for a in feed.announcements if a.picture]
        for aid in wanted:
            if self.cache.picture(aid) is not None:
                continue
            try:
                self.fetch_picture(aid)
            except CommunityError as exc:
                log.warning("announcement picture %s: %s", aid, exc)
        self.cache.drop_pictures_except(wanted)

    def fetch_picture(self, announcement: str) -> Path:
        """Fetch one announcement's picture into the cache (PNG or JPEG only)."""
        code, body, _h = self._get(f"{PICTURE_PATH}/{announcement}", {}, MAX_PICTURE_BYTES)
        if code != 200:
            raise CommunityError(f"the server answered {code} for the picture")
        kind = picture_kind(body)
        if kind is None:
            raise CommunityError("the picture is neither PNG nor JPEG")
        return self.cache.save_picture(announcement, body, kind)

    def fetch_inbox(self, resident: str, timeout_s: float = 5.0) -> ResidentInbox:
        """One resident's own community view now (raises ``CommunityError``)."""
        code, body, _h = self._get(f"{INBOX_PATH}/{resident}", {}, MAX_INBOX_BYTES,
                                   (min(timeout_s, 3.0), timeout_s))
        if code != 200:
            raise CommunityError(f"the server answered {code} for the resident's view")
        return parse_inbox(body, resident)

    def status_detail(self, now: datetime | None = None) -> tuple[str, str]:
        """(state, detail) for the maintainer page."""
        cached = self.current()
        if cached is None:
            detail = "no community feed yet" + (f"; {self.last_error}" if self.last_error else "")
            if self.cache.warning:
                detail += f"; {self.cache.warning}"
            return "warning", detail
        age = cached.age_s(now)
        detail = (f"version {cached.feed.version}, checked {int(age // 60)} min ago"
                  + (f"; last error: {self.last_error}" if self.last_error else ""))
        return ("warning" if self.last_error else "ok"), detail
