"""Kivy-free parts of the shell and the maintainer feature: PIN lockout, status rows, tile grid."""

from __future__ import annotations

import pytest

from kiosk.features.maintainer.access import LOCKOUT_S, MAX_ATTEMPTS, PinGate, PinOutcome
from kiosk.features.maintainer.rows import STATUS_AREAS, collect_status, detail_text
from kiosk.services.base import StatusRow
from kiosk.shell.tile_grid import grid_shape


def test_pin_gate_locks_after_five_wrong_pins_and_opens_after_a_minute():
    now = [1000.0]
    gate = PinGate(expected=lambda: "4321", clock=lambda: now[0])
    assert gate.check("4321") is PinOutcome.ACCEPTED
    for _ in range(MAX_ATTEMPTS - 1):
        assert gate.check("0000") is PinOutcome.WRONG
    assert gate.check("0000") is PinOutcome.LOCKED
    assert gate.check("4321") is PinOutcome.LOCKED  # even the right PIN
    now[0] += LOCKOUT_S - 1
    assert gate.check("4321") is PinOutcome.LOCKED
    now[0] += 2
    assert gate.check("4321") is PinOutcome.ACCEPTED
    assert gate.check("0000") is PinOutcome.WRONG  # the count started again


class FakeService:
    def __init__(self, name, rows=None, error=None):
        self.name, self._rows, self._error = name, rows or [], error

    def start(self):
        pass

    def stop(self):
        pass

    def status(self):
        if self._error:
            raise self._error
        return self._rows


def test_status_rows_come_from_services_and_missing_areas_are_named():
    assert {r.area for r in collect_status([])} == set(STATUS_AREAS)
    assert all(r.state == "not_available_yet" for r in collect_status([]))
    store = FakeService("store", [StatusRow("store", "/data/store", "ok", "3 records",
                                            {"waiting": "1", "files": "2"})])
    broken = FakeService("sync", error=RuntimeError("boom"))
    rows = collect_status([broken, store])
    by_area = {r.area: r for r in rows}
    assert by_area["store"].state == "ok" and by_area["store"].name == "/data/store"
    assert by_area["sync"].state == "error" and "boom" in by_area["sync"].detail
    assert by_area["camera"].state == "not_available_yet"
    assert [r.area for r in rows] == list(STATUS_AREAS)  # in the page's order
    assert detail_text(by_area["store"], lambda m: m.upper()) == "3 records\nWAITING: 1"


@pytest.mark.parametrize(("n", "landscape", "portrait"), [
    (1, (1, 1), (1, 1)), (2, (2, 1), (1, 2)), (3, (3, 1), (1, 3)), (4, (2, 2), (2, 2)),
    (5, (3, 2), (2, 3)), (6, (3, 2), (2, 3)), (7, (4, 2), (2, 4)), (8, (4, 2), (2, 4)),
])
def test_tile_grid_for_one_to_eight_tiles(n, landscape, portrait):
    assert grid_shape(n, 1200, 600) == landscape
    assert grid_shape(n, 700, 1100) == portrait
    cols, rows = grid_shape(n, 1200, 600)
    assert cols * rows >= n
