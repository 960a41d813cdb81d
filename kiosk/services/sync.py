"""Background sync of the local store to the central server, with an honest status.

Why this module exists: the kiosk must send what it stored whenever the
network allows, without the UI noticing, and the maintainer must see the real
state: how many records wait, when the last pass succeeded, the last error
and when it happened (kept across restarts in ``<data dir>/sync-state.json``).
A pass runs every ``sync.interval_s`` and on ``sync_now()``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from kiosk import __version__
from kiosk.config import Config, DataLayout, data_layout
from kiosk.services.base import Post, State, StatusRow, post_inline
from kiosk.services.store import StoreService
from sync.client import SyncClient, SyncReport, SyncSettings

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
    ) -> None:
        self.cfg = cfg
        self.store_service = store
        self.post = post
        self.layout = layout or data_layout(cfg)
        self.on_pass = on_pass
        self.first_pass_delay_s = first_pass_delay_s
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._client: SyncClient | None = None
        self._running = False
        self._last_report: SyncReport | None = None
        self._last_prune = 0.0

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
            report = self._client.sync_once()
            if report.ok:
                self._client.heartbeat()
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
        return [StatusRow("sync", url, state_name, detail, extra), *self._invalid_rows()]

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
