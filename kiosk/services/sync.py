"""Background sync of the local store to the central server, with an honest status.

Why this module exists: the kiosk must send what it stored whenever the
network allows, without the UI noticing, and the maintainer must see the real
state: how many records wait, when the last pass succeeded, the last error
and when it happened (kept across restarts in ``<data dir>/sync-state.json``).
A pass runs every ``sync.interval_s`` and on ``sync_now()``. After a pass
that reached the server, the community's residents' profiles are fetched and
handed to ``on_profiles`` (the residents service), so a resident who signed
up on another kiosk is known here. Then the community feed is pulled
(``sync.community_client``): right after the push, so the records the server
has just counted are marked synced here and are never added twice by the
kiosk (``sync.community_progress``). A signed-in resident's own community view
(their inbox) is fetched under the same lock as a pass, so it always agrees
with what the store calls synced.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from kiosk import __version__
from kiosk.config import Config, DataLayout, data_layout
from kiosk.services.base import Post, Service, State, StatusRow, post_inline
from kiosk.services.store import StoreService
from sync.api import PartStatus
from sync.client import HeartbeatFacts, SyncClient, SyncReport, SyncSettings
from sync.community_client import CommunityClient, CommunityError, InboxCopy
from sync.profiles_client import ProfilesError, fetch_profile, fetch_profiles
from sync.records import ResidentProfile

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 24 * 3600


def resolve_token(cfg: Config, layout: DataLayout) -> str:
    """``[sync] token``, else the token file (``token_file`` or ``<data dir>/sync-token``)."""
    if cfg.sync.token:
        return cfg.sync.token
    path = Path(cfg.sync.token_file).expanduser() if cfg.sync.token_file else layout.sync_token
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def settings_from_config(cfg: Config, layout: DataLayout) -> SyncSettings:
    s = cfg.sync
    return SyncSettings(
        server_url=s.server_url,
        token=resolve_token(cfg, layout),
        kiosk_id=cfg.kiosk.id,
        batch_size=s.batch_size,
        connect_timeout_s=s.connect_timeout_s,
        read_timeout_s=s.read_timeout_s,
        verify=s.ca_bundle or True,
        max_attempts=s.max_attempts,
        backoff_base_s=s.backoff_base_s,
        backoff_max_s=s.backoff_max_s,
        app_version=__version__,
    )


class SyncService:
    name = "sync"

    def __init__(
        self,
        cfg: Config,
        store: StoreService,
        post: Post = post_inline,
        layout: DataLayout | None = None,
        on_pass: Callable[[SyncReport], None] | None = None,
        first_pass_delay_s: float = 2.0,
        heartbeat_facts: Callable[[], HeartbeatFacts] | None = None,
    ) -> None:
        self.cfg = cfg
        self.store_service = store
        self.post = post
        self.layout = layout or data_layout(cfg)
        self.on_pass = on_pass
        self.first_pass_delay_s = first_pass_delay_s
        self.heartbeat_facts = heartbeat_facts
        """What the heartbeat says about the kiosk's parts and content (the fleet page shows it)."""
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._client: SyncClient | None = None
        self._running = False
        self._last_report: SyncReport | None = None
        self._last_prune = 0.0
        self.on_profiles: Callable[[list[ResidentProfile]], None] | None = None
        """Gets the community's residents' profiles after each pass that reached the server
        (called on the sync thread)."""
        self.community = CommunityClient(lambda: settings_from_config(self.cfg, self.layout),
                                         self.layout.community)
        """The community feed (last good copy on disk) and the visitor's inbox."""
        self.community_listeners: list[Callable[[], None]] = []
        """Called through ``post`` after each feed pull that reached the server."""
        self._pass_lock = threading.Lock()
        self._visitor: InboxCopy | None = None
        self._visitor_wanted = ""

    def _make_client(self) -> SyncClient:
        return SyncClient(
            self.store_service.store,
            settings_from_config(self.cfg, self.layout),
            state_file=self.layout.sync_state,
        )

    def start(self) -> None:
        if not self.cfg.sync.enabled or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._client is not None:
            self._client.stop()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def sync_now(self) -> None:
        """Ask for a pass as soon as possible (e.g. right after a session is saved)."""
        self._wake.set()

    def run_pass(self) -> SyncReport:
        """One pass on the calling thread (the loop and tests use this)."""
        if not self.store_service.available:
            report = SyncReport(error="the local store is not available")
            self._last_report = report
            return report
        settings = settings_from_config(self.cfg, self.layout)
        if self._client is None or self._client.settings != settings:
            if self._client is not None:
                self._client.close()
            self._client = self._make_client()
        self._running = True
        try:
            with self._pass_lock:
                store = self.store_service.store
                before = store.unsynced_uuids()
                report = self._client.sync_once()
                acked = before - store.unsynced_uuids() - set(store.rejected())
                self.community.note_acked(acked)
                if report.ok or report.acknowledged:
                    self.pull_community()
                    self._refresh_visitor()
                elif report.error:
                    self.community.note_unreachable(report.error)
            if report.ok:
                self._client.heartbeat(self._facts())
                self._pull_profiles(settings)
        finally:
            self._running = False
        self._last_report = report
        now = time.monotonic()
        if now - self._last_prune > PRUNE_EVERY_S or not self._last_prune:
            self._last_prune = now
            try:
                self.store_service.store.prune()
            except Exception as exc:  # noqa: BLE001
                log.warning("prune failed: %s", exc)
        if self.on_pass is not None:
            cb = self.on_pass
            self.post(lambda: cb(report))
        return report

    def _facts(self) -> HeartbeatFacts | None:
        if self.heartbeat_facts is None:
            return None
        try:
            return self.heartbeat_facts()
        except Exception as exc:  # noqa: BLE001 - a heartbeat without facts beats none
            log.warning("heartbeat facts unavailable: %s", exc)
            return None

    def _pull_profiles(self, settings: SyncSettings) -> None:
        sink = self.on_profiles
        if sink is None:
            return
        try:
            profiles = fetch_profiles(settings)
        except ProfilesError as exc:
            log.warning("residents' profiles not fetched: %s", exc)
            return
        sink(profiles)

    def pull_community(self) -> bool:
        """Fetch the community feed now (304 keeps the copy); False when it could not be
        fetched (the last good copy stays, the error is logged and shown to a maintainer)."""
        try:
            self.community.refresh()
        except CommunityError:
            return False  # logged by the client, kept as its last_error
        for listener in list(self.community_listeners):
            self.post(listener)
        return True

    def fetch_inbox(self, resident: str) -> InboxCopy:
        """A resident's own community view now, consistent with the store (taken under the
        pass lock); remembered as the visitor's until ``forget_visitor``. Raises
        ``CommunityError`` when sync is off or the server cannot be asked."""
        if not self.cfg.sync.enabled:
            raise CommunityError("sync is disabled in the config")
        if not self.store_service.available:
            raise CommunityError("the local store is not available")
        self._visitor_wanted = resident
        with self._pass_lock:
            copy = self._fetch_inbox_locked(resident)
        return copy

    def _fetch_inbox_locked(self, resident: str) -> InboxCopy:
        seen = frozenset(self.store_service.store.synced_uuids_of(resident))
        copy = InboxCopy(self.community.fetch_inbox(resident), seen)
        if self._visitor_wanted == resident:
            self._visitor = copy
        return copy

    def visitor_signed_in(self, resident: str) -> None:
        """A resident signed in: fetch their community view in the background (their replies
        show at this visit); a failure leaves the screens with what this kiosk knows."""
        if not self.cfg.sync.enabled or not resident:
            return
        self._visitor_wanted = resident

        def job() -> None:
            try:
                self.fetch_inbox(resident)
            except CommunityError as exc:
                log.info("resident's community view not fetched: %s", exc)

        threading.Thread(target=job, name="community-inbox", daemon=True).start()

    def visitor_inbox(self, resident: str) -> InboxCopy | None:
        """The signed-in resident's inbox, if it was fetched during this visit."""
        copy = self._visitor
        return copy if copy is not None and copy.inbox.resident == resident else None

    def forget_visitor(self) -> None:
        """The visit ended: nothing of the resident stays in memory."""
        self._visitor_wanted = ""
        self._visitor = None

    def _refresh_visitor(self) -> None:
        resident = self._visitor_wanted
        if not resident:
            return
        try:
            self._fetch_inbox_locked(resident)
        except CommunityError as exc:
            log.info("visitor's community view not refreshed: %s", exc)

    def fetch_profile(self, resident: str) -> ResidentProfile | None:
        """One resident's profile from the server now (a number-code sign-in); raises
        ``ProfilesError`` when sync is off or the server cannot be asked."""
        if not self.cfg.sync.enabled:
            raise ProfilesError("sync is disabled in the config")
        return fetch_profile(settings_from_config(self.cfg, self.layout), resident)

    def _loop(self) -> None:
        delay = self.first_pass_delay_s
        while not self._stop.is_set():
            self._wake.wait(delay)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.run_pass()
            except Exception:  # noqa: BLE001 - the loop must survive anything
                log.exception("sync loop: pass crashed")
            delay = self.cfg.sync.interval_s

    def status(self) -> list[StatusRow]:
        url = self.cfg.sync.server_url
        if not self.cfg.sync.enabled:
            return [StatusRow("sync", url, "unavailable", "sync is disabled in the config")]
        state = asdict(self._client.state) if self._client else self._read_state()
        waiting = self.store_service.store.waiting() if self.store_service.available else None
        extra = {
            "waiting": "?" if waiting is None else str(waiting),
            "last_success": state.get("last_success_at") or "never",
            "last_error": state.get("last_error") or "",
            "last_error_at": state.get("last_error_at") or "",
            "running": "yes" if self._running else "no",
        }
        token = resolve_token(self.cfg, self.layout)
        if not token:
            return [StatusRow("sync", url, "error", "no sync token configured", extra)]
        last_ok = state.get("last_success_at") or ""
        last_err_at = state.get("last_error_at") or ""
        failing = bool(last_err_at) and last_err_at > last_ok
        detail = f"{extra['waiting']} waiting; last success {extra['last_success']}" + (
            f"; last error {last_err_at}: {state.get('last_error')}" if last_err_at else ""
        )
        state_name: State = "error" if failing else ("ok" if last_ok else "warning")
        c_state, c_detail = self.community.status_detail()
        community = StatusRow("sync", "community feed", "ok" if c_state == "ok" else "warning",
                              c_detail)
        return [StatusRow("sync", url, state_name, detail, extra), community,
                *self._invalid_rows()]

    def _invalid_rows(self) -> list[StatusRow]:
        """Records the server refused as invalid: kept on the kiosk, never resent, shown here."""
        invalid = self.store_service.store.invalid() if self.store_service.available else {}
        if not invalid:
            return []
        shown = list(invalid.items())[:5]
        detail = (
            f"{len(invalid)} record(s) refused by the server as invalid; kept on this kiosk, "
            "not sent again: " + "; ".join(f"{u}: {r}" for u, r in shown)
        )
        extra = {"records": str(len(invalid))} | {u: r for u, r in shown}
        return [StatusRow("sync", "rejected records", "warning", detail, extra)]

    def _read_state(self) -> dict[str, str | None]:
        from sync.storage import read_json_object

        try:
            return read_json_object(self.layout.sync_state) or {}
        except ValueError:
            return {}


def heartbeat_facts_from(services: Callable[[], Sequence[Service]]) -> Callable[[], HeartbeatFacts]:
    """Heartbeat facts from the other services: every status row becomes a part (camera,
    sensors, store, content, ...); a service with ``installed_versions()`` (bundle id ->
    version) gives the installed content."""

    def facts() -> HeartbeatFacts:
        parts: list[PartStatus] = []
        content: dict[str, int] = {}
        for service in services():
            if service.name == SyncService.name:
                continue
            for row in service.status():
                parts.append(
                    PartStatus(
                        area=(row.area or service.name)[:32],
                        name=row.name[:80],
                        state=row.state,
                        detail=row.detail[:200],
                    )
                )
            versions = getattr(service, "installed_versions", None)
            if callable(versions):
                content.update({str(k)[:64]: int(v) for k, v in versions().items()})
        return HeartbeatFacts(content=dict(list(content.items())[:50]), parts=parts[:24])

    return facts
