"""Two kiosks' own code against the real community server (SQLite and PostgreSQL).

Each kiosk has its durable store, its ``SyncClient`` and its ``CommunityClient``
(the feed cache on disk), exactly as ``kiosk/services/sync.py`` wires them: push,
then pull. What a kiosk shows for a challenge (``sync.community_progress``) must
equal the server's exact total once everything is synced, and must already
include its own unsynced records before, never twice; a second vote from another
kiosk is refused and both kiosks then know the first vote from the inbox.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sync.client import SyncClient, SyncSettings
from sync.community_client import CommunityClient
from sync.community_progress import challenge_progress, pending_records
from sync.store import Store
from tests.community.server_fixture import NOW, Server, challenge, poll, squats, vote


class Kiosk:
    def __init__(self, srv: Server, name: str, root: Path) -> None:
        self.name = name
        self.store = Store(root / name / "store", retention_days=None)
        settings = SyncSettings(server_url=srv.url, token=srv.tokens[name], kiosk_id=name,
                                backoff_base_s=0.01, backoff_max_s=0.05)
        self.sync = SyncClient(self.store, settings)
        self.community = CommunityClient(lambda: settings, root / name / "community")

    def sync_pass(self) -> None:
        report = self.sync.sync_once()
        assert not report.error, report.error
        self.community.refresh()

    def shown(self) -> float:
        cached = self.community.current()
        assert cached is not None
        pending = pending_records(self.store, also=self.community.acked_since_feed())
        (progress,) = challenge_progress(cached.feed.challenges, pending)
        return progress.shown

    def close(self) -> None:
        self.sync.close()
        self.store.close()


def test_two_kiosks_challenge_totals_exact_and_one_vote_per_resident(
    server: Server, tmp_path: Path
) -> None:
    srv = server
    srv.publish("east", challenge(goal=500), "challenge")
    srv.publish("east", poll(), "poll")
    a1, a2 = Kiosk(srv, "a1", tmp_path), Kiosk(srv, "a2", tmp_path)
    try:
        for k in (a1, a2):
            k.sync_pass()
            assert k.shown() == 0
        # residents exercise on both kiosks; a2 is offline for now
        a1.store.save_many([squats("a1", "r1", 10), squats("a1", "r2", 12)])
        a2.store.save_many([squats("a2", "r1", 7), squats("a2", "guest", 5)])
        assert a1.shown() == 22 and a2.shown() == 12  # each counts its own unsynced records
        a1.sync_pass()
        assert a1.shown() == 22  # now counted by the server, not added again
        a2.sync_pass()
        a1.sync_pass()
        assert a1.shown() == a2.shown() == 34
        cached = a1.community.current()
        assert cached is not None
        (ch,) = cached.feed.challenges
        assert ch.progress == 34  # the server's own exact total
        # one vote per resident per poll across the community
        first = vote("a1", "r1", "po-class", [0], at=NOW - timedelta(minutes=2))
        second = vote("a2", "r1", "po-class", [1], at=NOW - timedelta(minutes=1))
        a1.store.save_many([first])
        a2.store.save_many([second])
        a1.sync_pass()
        a2.sync.sync_once()
        assert second.key in a2.store.rejected()  # refused, kept, not resent
        assert a2.store.waiting() == 0
        for k in (a1, a2):
            assert k.community.fetch_inbox("r1").votes == {"po-class": [0]}
        # a late record after the vote: shown at once, counted once after the sync
        a2.store.save_many([squats("a2", "r3", 6)])
        assert a2.shown() == 40
        a2.sync_pass()
        a1.sync_pass()
        assert a1.shown() == a2.shown() == 40
    finally:
        a1.close()
        a2.close()
