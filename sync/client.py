"""The kiosk's sync client: send unsynced records to the central server, exactly once.

Why this module exists: the network in a residential community is flaky and
the kiosk may be offline for weeks. A pass takes the oldest unsynced records
from the store in batches, posts each batch gzip-compressed with the kiosk's
bearer token (TLS verified, explicit connect and read timeouts), and marks a
record synced only when the server's response acknowledges that very UUID.
Anything else (a reset connection, a timeout, a 5xx, a response lost after
the server committed) leaves the records unsynced; the retried POST is safe
because the server upserts on the UUID. Retries back off exponentially with
full jitter and honour ``Retry-After``. Records the server rejects are
remembered as rejected in the store and shown to the maintainer instead of
being resent forever: a record refused as invalid (bad data, too large, a
character the server's database cannot store) is marked invalid and never
resent, never dropped; a record refused for this kiosk's identity (a kiosk id
that no longer matches the token) waits for ``kiosk sync --retry-rejected``
once the configuration is fixed.
"""

from __future__ import annotations

import email.utils
import gzip
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from sync.api import ACKNOWLEDGED, HEARTBEAT_PATH, RECORDS_PATH, PartStatus
from sync.storage import atomic_write_bytes, dumps, read_json_object
from sync.store import Store

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class SyncSettings:
    server_url: str
    token: str
    kiosk_id: str
    batch_size: int = 200
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0
    verify: bool | str = True
    """TLS verification: True, or the path of a CA bundle. Never False in production."""
    max_attempts: int = 6
    """Tries per batch within one pass before the pass gives up (the next pass starts over)."""
    backoff_base_s: float = 1.0
    backoff_max_s: float = 120.0
    max_retry_after_s: float = 600.0
    compress: bool = True
    app_version: str = ""


@dataclass
class SyncReport:
    started_at: str = ""
    finished_at: str = ""
    batches: int = 0
    requests: int = 0
    sent: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    retries: int = 0
    waiting: int = 0
    error: str | None = None

    @property
    def acknowledged(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        text = (
            f"sent {self.sent} record(s) in {self.batches} batch(es): {self.acknowledged} "
            f"acknowledged ({self.created} new, {self.updated} updated, {self.unchanged} already "
            f"there), {self.rejected} rejected; {self.retries} retries; {self.waiting} waiting"
        )
        return text + (f"; error: {self.error}" if self.error else "")


@dataclass
class SyncState:
    """What the maintainer page shows; persisted so it survives a restart."""

    last_attempt_at: str | None = None
    last_success_at: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    last_summary: str | None = None


class _GiveUp(Exception):
    pass


def _iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class SyncClient:
    """Moves records from a :class:`sync.store.Store` to the server. One pass at a time."""

    def __init__(
        self,
        store: Store,
        settings: SyncSettings,
        *,
        session: requests.Session | None = None,
        state_file: Path | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.session = session or requests.Session()
        self.session.verify = settings.verify
        self.session.headers.update(
            {
                "Authorization": f"Bearer {settings.token}",
                "User-Agent": f"community-kiosk/{settings.app_version or 'dev'} ({settings.kiosk_id})",
                "Accept": "application/json",
            }
        )
        self._rng = rng or random.Random()
        self._stop = threading.Event()
        self._sleep = sleep or self._stop.wait
        self._pass_lock = threading.Lock()
        self.state_file = state_file
        self.state = self._load_state()

    # --- state --------------------------------------------------------------------

    def _load_state(self) -> SyncState:
        if self.state_file is None:
            return SyncState()
        try:
            data = read_json_object(self.state_file) or {}
            return SyncState(**{k: data.get(k) for k in SyncState.__dataclass_fields__})
        except (ValueError, TypeError) as exc:
            log.warning("ignoring unreadable sync state %s: %s", self.state_file, exc)
            return SyncState()

    def _save_state(self) -> None:
        if self.state_file is None:
            return
        try:
            atomic_write_bytes(self.state_file, dumps(asdict(self.state)))
        except OSError as exc:
            log.warning("could not save sync state: %s", exc)

    def stop(self) -> None:
        """Interrupt a pass that is waiting to retry (used on shutdown)."""
        self._stop.set()

    def close(self) -> None:
        self.stop()
        self.session.close()

    # --- backoff ------------------------------------------------------------------

    def backoff_delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Full-jitter exponential backoff; a server's ``Retry-After`` is a floor."""
        s = self.settings
        cap = min(s.backoff_max_s, s.backoff_base_s * (2 ** max(0, attempt - 1)))
        delay = self._rng.uniform(cap / 2, cap)
        if retry_after is not None:
            delay = max(delay, min(retry_after, s.max_retry_after_s))
        return delay

    # --- one pass -----------------------------------------------------------------

    def sync_once(self, max_batches: int | None = None) -> SyncReport:
        """Send everything waiting (or ``max_batches`` batches); never raises for network trouble."""
        with self._pass_lock:
            report = SyncReport(started_at=_iso_now())
            self.state.last_attempt_at = report.started_at
            try:
                if not self.settings.token:
                    raise _GiveUp(
                        "no sync token configured ([sync] token or <data dir>/sync-token)"
                    )
                batch_size = self.settings.batch_size
                while max_batches is None or report.batches < max_batches:
                    if self._stop.is_set():
                        raise _GiveUp("stopped")
                    batch = self.store.unsynced_json(batch_size)
                    if not batch:
                        break
                    progressed, batch_size = self._send_batch(batch, batch_size, report)
                    if not progressed:
                        raise _GiveUp(
                            "the server acknowledged none of the records sent; will retry later"
                        )
            except _GiveUp as exc:
                report.error = str(exc)
            except Exception as exc:  # noqa: BLE001 - a pass must report, not crash the loop
                log.exception("sync pass failed")
                report.error = f"{type(exc).__name__}: {exc}"
            report.finished_at = _iso_now()
            report.waiting = self.store.waiting()
            if report.error and report.error != "stopped":
                self.state.last_error = report.error
                self.state.last_error_at = report.finished_at
                log.warning("sync pass: %s", report.summary())
            elif not report.error:
                self.state.last_success_at = report.finished_at
                log.info("sync pass: %s", report.summary())
            self.state.last_summary = report.summary()
            self._save_state()
            return report

    def _post(self, path: str, body: bytes, compress: bool = True) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if compress and self.settings.compress:
            body = gzip.compress(body, compresslevel=5)
            headers["Content-Encoding"] = "gzip"
        return self.session.post(
            self.settings.server_url.rstrip("/") + path,
            data=body,
            headers=headers,
            timeout=(self.settings.connect_timeout_s, self.settings.read_timeout_s),
            # explicit per request: requests lets REQUESTS_CA_BUNDLE override a session's verify
            verify=self.settings.verify,
        )

    def _send_batch(
        self, batch: list[dict[str, Any]], batch_size: int, report: SyncReport
    ) -> tuple[bool, int]:
        """Post one batch with retries; returns (progress made, batch size to use next)."""
        body = json.dumps({"records": batch}, separators=(",", ":")).encode()
        sent = {str(r["uuid"]) for r in batch}
        report.batches += 1
        report.sent += len(batch)
        attempt = 0
        while True:
            attempt += 1
            report.requests += 1
            retry_after: float | None = None
            try:
                resp = self._post(RECORDS_PATH, body)
            except requests.exceptions.SSLError as exc:
                raise _GiveUp(f"TLS verification failed: {exc}") from None
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                code = resp.status_code
                data = _json_or_none(resp)
                if (
                    data is not None
                    and isinstance(data.get("results"), list)
                    and code in (200, 403, 422)
                ):
                    return self._apply_results(data["results"], sent, report), batch_size
                if code == 401:
                    raise _GiveUp("the server refused this kiosk's token (401); check [sync] token")
                if code == 413 and len(batch) > 1:
                    report.sent -= len(batch)
                    report.batches -= 1
                    return True, max(1, len(batch) // 2)
                if code == 413:
                    self.store.mark_rejected(
                        {next(iter(sent)): "record too large for the server"}, invalid=True
                    )
                    report.rejected += 1
                    return True, batch_size
                detail = (data or {}).get("detail") if data else resp.text[:200]
                problem = f"HTTP {code}: {detail}"
                if code not in RETRYABLE_STATUS:
                    raise _GiveUp(problem)
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            if attempt >= self.settings.max_attempts:
                raise _GiveUp(f"{problem} (gave up after {attempt} tries)")
            delay = self.backoff_delay(attempt, retry_after)
            report.retries += 1
            log.info("sync: %s; retry %d in %.2f s", problem, attempt, delay)
            self._sleep(delay)
            if self._stop.is_set():
                raise _GiveUp("stopped")

    def _apply_results(self, results: list[Any], sent: set[str], report: SyncReport) -> bool:
        acked: list[str] = []
        rejected: dict[str, str] = {}
        invalid: dict[str, str] = {}
        for r in results:
            if not isinstance(r, dict):
                continue
            uid, status = r.get("uuid"), r.get("status")
            if not isinstance(uid, str) or uid not in sent:
                continue  # only what we sent, and only by uuid
            if status in ACKNOWLEDGED:
                acked.append(uid)
                if status == "created":
                    report.created += 1
                elif status == "updated":
                    report.updated += 1
                else:
                    report.unchanged += 1
            elif status == "rejected":
                errs = [e for e in (r.get("errors") or []) if isinstance(e, dict)]
                reason = (
                    "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errs)
                    or "rejected by the server"
                )
                (rejected if _kiosk_mismatch(errs) else invalid)[uid] = reason
        if acked:
            self.store.mark_synced(acked)
        for uid, reason in (rejected | invalid).items():
            log.warning("server rejected record %s: %s", uid, reason)
        if rejected:
            self.store.mark_rejected(rejected)
        if invalid:
            self.store.mark_rejected(invalid, invalid=True)
        report.rejected += len(rejected) + len(invalid)
        return bool(acked or rejected or invalid)

    # --- heartbeat ----------------------------------------------------------------

    def heartbeat(self, facts: HeartbeatFacts | None = None) -> bool:
        """Tell the server this kiosk is alive, how much is waiting and how its parts are.

        ``facts`` adds the installed content and the parts' states. A server
        older than those fields answers 422; the heartbeat is then sent again
        with the original fields only. Best effort: never raises.
        """
        if not self.settings.token:
            return False
        base: dict[str, Any] = {
            "kiosk_id": self.settings.kiosk_id,
            "waiting": self.store.waiting(),
            "rejected": len(self.store.rejected()),
            "app_version": self.settings.app_version[:40],
            "sent_at": _iso_now(),
        }
        full = dict(base)
        if self.state.last_success_at:
            full["last_sync_at"] = self.state.last_success_at
        if facts is not None:
            full["content"] = dict(list(facts.content.items())[:50])
            full["parts"] = [p.model_dump() for p in facts.parts[:24]]
        try:
            resp = self._post(HEARTBEAT_PATH, json.dumps(full).encode(), compress=False)
            if resp.status_code == 422 and full != base:
                resp = self._post(HEARTBEAT_PATH, json.dumps(base).encode(), compress=False)
        except requests.RequestException as exc:
            log.debug("heartbeat failed: %s", exc)
            return False
        return resp.status_code == 200


@dataclass(frozen=True)
class HeartbeatFacts:
    """What the kiosk knows about itself beyond the store: content versions, parts' states."""

    content: dict[str, int] = field(default_factory=dict)
    parts: list[PartStatus] = field(default_factory=list)


def _kiosk_mismatch(errors: list[dict[str, Any]]) -> bool:
    """The server refused a record only because its kiosk id is not this token's kiosk."""
    return bool(errors) and all(
        e.get("field") == "kiosk_id" and "token belongs to kiosk" in str(e.get("message"))
        for e in errors
    )


def _json_or_none(resp: requests.Response) -> dict[str, Any] | None:
    try:
        data = resp.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
