"""The store against a plain dict model: random operation sequences, reopened at random."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sync.store import Store
from tests.sync.helpers import session


class StoreModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="store-model-"))
        self.store = Store(self.dir, segment_size=5, retention_days=None)
        self.records: dict[str, object] = {}
        self.synced: set[str] = set()
        self.n = 0

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @rule(count=st.integers(1, 7))
    def save_new(self, count: int) -> None:
        recs = []
        for _ in range(count):
            self.n += 1
            recs.append(session(self.n, uuid=uuid.uuid4()))
        if count == 1:
            self.store.save(recs[0])
        else:
            self.store.save_many(recs)
        for r in recs:
            self.records[r.key] = r

    @precondition(lambda self: self.records)
    @rule(data=st.data(), change=st.booleans())
    def save_again(self, data: st.DataObject, change: bool) -> None:
        key = data.draw(st.sampled_from(sorted(self.records)))
        rec = self.records[key]
        if change:
            rec = rec.model_copy(update={"completed": not rec.completed})  # type: ignore[attr-defined]
            self.synced.discard(key)
        self.store.save(rec)  # type: ignore[arg-type]
        self.records[key] = rec

    @precondition(lambda self: self.records)
    @rule(data=st.data())
    def mark_some_synced(self, data: st.DataObject) -> None:
        keys = data.draw(st.lists(st.sampled_from(sorted(self.records)), max_size=6))
        self.store.mark_synced(keys)
        self.synced.update(keys)

    @rule()
    def reopen(self) -> None:
        self.store.close()
        self.store = Store(self.dir, segment_size=5, retention_days=None)

    @invariant()
    def matches_the_model(self) -> None:
        assert self.store.count() == len(self.records)
        waiting = set(self.records) - self.synced
        assert self.store.waiting() == len(waiting)
        assert {r.key for r in self.store.unsynced(10_000)} == waiting
        for key, rec in list(self.records.items())[-3:]:
            assert self.store.get(key) == rec


TestStoreModel = StoreModel.TestCase
TestStoreModel.settings = settings(
    max_examples=25, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
)
