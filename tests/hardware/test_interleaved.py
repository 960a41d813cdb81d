"""Frames of other protocols interleaved with a parser's own: its readings survive, nothing false."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.drivers import DRIVERS, cms50d, rdm6300, scale, station
from tests.hardware.parsing import check_accounting, feed_all, readings

CARD = st.text(alphabet="0123456789ABCDEF", min_size=10, max_size=10)


def foreign(kind: int, i: int) -> bytes:
    """A whole frame of some protocol (own or not), chosen by ``kind``."""
    if kind == 0:
        return rdm6300.encode_frame(f"{i % 16**10:010X}")
    if kind == 1:
        f = cms50d.encode_frame(cms50d.OxiFrame(signal=5, pleth=i % 128, pulse_rate=60 + i % 100,
                                                spo2=90 + i % 10))
        return f * 3
    if kind == 2:
        return scale.encode_line(10 + i % 100)
    return station.encode_sentence("BIKE", i % 200, i % 1000)


OWN = {"rdm6300": 0, "cms50d": 1, "scale": 2, "station": 3}


def own_reading(driver: str, i: int):
    return {
        "rdm6300": ("card", f"{i % 16**10:010X}"),
        "cms50d": ("heart_rate", float(60 + i % 100)),
        "scale": ("weight", float(10 + i % 100)),
        "station": ("cadence", float(i % 200)),
    }[driver]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(sorted(DRIVERS)),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10**6)), max_size=40),
)
def test_foreign_frames_between_own_frames(driver, seq):
    stream = b""
    expected = []
    prev_own = None
    for kind, i in seq:
        stream += foreign(kind, i)
        if kind == OWN[driver]:
            r = own_reading(driver, i)
            # cms50d and scale report a value once until it changes (scale: while stable)
            if driver in ("rdm6300", "station") or r != prev_own:
                expected.append(r)
            prev_own = r
    p = DRIVERS[driver].make_parser()
    res = feed_all(p, stream)
    check_accounting(p, res)
    got = [(r.kind, r.value) for r in readings(res) if r.kind == expected[0][0]] if expected else []
    if driver == "cms50d":  # an unchanged pulse is repeated about once a second (60 frames)
        got = [g for k, g in enumerate(got) if k == 0 or got[k - 1] != g]
    assert got == expected
    if not expected:
        assert [r for r in readings(res) if r.kind in ("card", "heart_rate", "weight", "cadence")] == []
