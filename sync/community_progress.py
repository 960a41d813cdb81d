"""What a kiosk shows for a challenge: the server's count plus what only this kiosk knows.

Why this module exists: a challenge's progress in the feed counts what the server had
received when it built the feed. This kiosk may hold records the server has not got
yet (offline for a week, or simply saved a minute ago) and they must show at once,
but a record must never be counted twice: once synced it is in the server's number.
The rule here is the only one: shown = ``Challenge.progress`` + ``counts_toward`` over
this kiosk's *pending* records, the ones not yet acknowledged by the server plus the
ones acknowledged after the current feed copy was built (the sync service pulls the
feed right after each push pass, so that set is normally empty). A resident's own
contribution is the same with their inbox (``ResidentInbox.contributions``) and their
records that the inbox did not see yet.

Everything here is a pure function of its arguments, except :func:`pending_records`,
which reads the store's index (no record is parsed that is not pending).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sync.community import Challenge, counts_toward
from sync.record_index import Entry
from sync.records import GUEST, Record
from sync.store import Store

COUNTED_KINDS = ("exercise_session", "lesson_progress", "fitness_test")
"""The record kinds any challenge metric counts."""


@dataclass(frozen=True)
class ChallengeProgress:
    """One challenge as the kiosk shows it."""

    challenge: Challenge
    shown: float
    """Server progress plus this kiosk's pending records."""
    local: float
    """What this kiosk's pending records add."""

    @property
    def fraction(self) -> float:
        """0..1 for the progress bar."""
        return max(0.0, min(1.0, self.shown / self.challenge.goal))


def local_addition(challenge: Challenge, pending: Iterable[Record],
                   team_of: Mapping[str, str] | None = None,
                   counted_residents: Collection[str] = ()) -> float:
    """What ``pending`` records add to ``challenge``.

    ``residents_tested`` counts distinct residents (guests never) that are not among
    ``counted_residents`` (those this kiosk knows the server has already counted).
    """
    teams = dict(team_of or {})
    if challenge.metric == "residents_tested":
        new = {r.resident for r in pending
               if r.resident != GUEST and r.resident not in counted_residents
               and counts_toward(challenge, r, teams) > 0}
        return float(len(new))
    return sum(counts_toward(challenge, r, teams) for r in pending)


def counted_residents(challenge: Challenge, synced: Iterable[Entry], kiosk_id: str,
                      team_of: Mapping[str, str] | None = None) -> set[str]:
    """Residents with a synced fitness test of this kiosk that ``challenge`` counts (from the
    index entries, so nothing is parsed): the server has counted them already."""
    if challenge.metric != "residents_tested":
        return set()
    if challenge.scope == "kiosks" and kiosk_id not in challenge.kiosks:
        return set()
    wanted = set(challenge.activities)
    out: set[str] = set()
    for e in synced:
        if e.kind != "fitness_test" or e.resident == GUEST:
            continue
        if wanted and e.name not in wanted:
            continue
        if challenge.scope == "team" and (team_of or {}).get(e.resident) != challenge.team:
            continue
        when = datetime.fromisoformat(e.ts.replace("Z", "+00:00"))
        if challenge.running(when):
            out.add(e.resident)
    return out


def challenge_progress(challenges: Iterable[Challenge], pending: list[Record],
                       team_of: Mapping[str, str] | None = None,
                       counted: Mapping[str, Collection[str]] | None = None,
                       ) -> list[ChallengeProgress]:
    """Every challenge with what the kiosk shows (``counted``: challenge id -> residents the
    server already counted, for ``residents_tested``)."""
    out: list[ChallengeProgress] = []
    for c in challenges:
        add = local_addition(c, pending, team_of, (counted or {}).get(c.id, ()))
        out.append(ChallengeProgress(c, c.progress + add, add))
    return out


def own_contribution(challenge: Challenge, inbox_value: float, own_pending: Iterable[Record],
                     team_of: Mapping[str, str] | None = None) -> float:
    """A resident's contribution: the server's (from their inbox) plus their records the
    inbox did not count yet. For ``residents_tested`` it is 0 or 1 (they took part)."""
    own = list(own_pending)
    if challenge.metric == "residents_tested":
        return 1.0 if inbox_value >= 1 or local_addition(challenge, own, team_of) > 0 else 0.0
    return inbox_value + local_addition(challenge, own, team_of)


def pending_records(store: Store, also: Collection[str] = (), resident: str | None = None,
                    exclude: Collection[str] = ()) -> list[Record]:
    """This kiosk's records that count toward challenges and that the server's numbers do
    not include yet: not yet acknowledged, or in ``also`` (acknowledged after the feed was
    built); for one ``resident`` if given. ``exclude``: uuids already counted elsewhere
    (the resident's records their inbox saw)."""
    waiting = store.unsynced_uuids() | set(also)
    if resident is not None:
        entries = store.entries(resident, COUNTED_KINDS)
    else:
        entries = [e for kind in COUNTED_KINDS for e in store.entries_of_kind(kind)]
    picked = [e.uuid for e in entries if e.uuid in waiting and e.uuid not in exclude]
    return store.get_many(picked)


def own_records_not_in_inbox(store: Store, resident: str, seen: Collection[str]) -> list[Record]:
    """The resident's counted records the inbox (fetched when ``seen`` were the resident's
    synced records) did not include: everything of theirs not in ``seen``, not refused."""
    refused = set(store.rejected())
    picked = [e.uuid for e in store.entries(resident, COUNTED_KINDS)
              if e.uuid not in seen and e.uuid not in refused]
    return store.get_many(picked)
