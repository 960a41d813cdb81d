"""RDM6300 parser: documented frames, then hypothesis on random and damaged streams."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.drivers.rdm6300 import (
    CardDebouncer,
    Rdm6300Driver,
    Rdm6300Parser,
    card_number,
    checksum,
    encode_frame,
)
from tests.hardware.parsing import (
    check_accounting,
    errors,
    feed_all,
    is_subsequence,
    readings,
)

CARD = st.text(alphabet="0123456789ABCDEF", min_size=10, max_size=10)
_ORACLE = re.compile(rb"\x02([0-9A-Fa-f]{10})([0-9A-Fa-f]{2})\x03")


def oracle(stream: bytes) -> list[str]:
    """An independent, obviously correct decoder: every well-formed frame anywhere."""
    return [
        m.group(1).decode()
        for m in _ORACLE.finditer(stream)
        if checksum(m.group(1)) == int(m.group(2), 16)
    ]


def test_documented_frame():
    # Card 0x0A 0x00BC614E (number 12345678): checksum 0A^00^BC^61^4E
    frame = encode_frame("0A00BC614E")
    assert frame == b"\x020A00BC614E" + f"{0x0A ^ 0x00 ^ 0xBC ^ 0x61 ^ 0x4E:02X}".encode() + b"\x03"
    assert card_number("0A00BC614E") == 12345678
    p = Rdm6300Parser()
    res = p.feed(frame)
    assert [(r.kind, r.value) for r in readings(res)] == [("card", "0A00BC614E")]
    assert p.rejected == 0 and p.frames == 1


def test_each_error_reason():
    good = encode_frame("0A00BC614E")
    bad_sum = good[:11] + (b"00" if good[11:13] != b"00" else b"11") + b"\x03"
    no_etx = good[:13] + b"\x04"
    non_hex = good[:3] + b"G" + good[4:]
    p = Rdm6300Parser()
    res = feed_all(p, bad_sum + no_etx + non_hex + good[:6] + good)
    assert [e.reason for e in errors(res)] == ["checksum", "malformed", "malformed", "truncated"]
    assert [r.value for r in readings(res)] == ["0A00BC614E"]
    check_accounting(p, res)


def test_debounce_one_card_held_is_one_login():
    d = Rdm6300Driver(hold_gap_s=1.0)
    f = encode_frame("0A00BC614E")
    t = 100.0
    cards = []
    for _ in range(30):  # held for 3 s, a frame every 100 ms
        cards += readings(d.feed(f, t))
        t += 0.1
    assert len(cards) == 1
    t += 2.0  # taken away, tapped again
    assert len(readings(d.feed(f, t))) == 1
    # a different card counts at once
    assert len(readings(d.feed(encode_frame("1F00D2A3B4"), t + 0.1))) == 1


def test_debouncer_pure():
    d = CardDebouncer(0.5)
    assert d.accept("A", 0.0) and not d.accept("A", 0.4) and not d.accept("A", 0.8)
    assert d.accept("A", 1.5) and d.accept("B", 1.6) and d.accept("A", 1.7)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000), st.lists(st.integers(0, 3000), max_size=8))
def test_random_bytes(data, cuts):
    p = Rdm6300Parser()
    res = feed_all(p, data, cuts)
    check_accounting(p, res)
    assert [r.value for r in readings(res)] == oracle(data)


SEGMENT = st.one_of(
    st.tuples(st.just("valid"), CARD, st.just(0)),
    st.tuples(st.just("badsum"), CARD, st.integers(1, 255)),
    st.tuples(st.just("trunc"), CARD, st.integers(1, 13)),
    st.tuples(st.just("nonhex"), CARD, st.integers(1, 12)),
    st.tuples(st.just("garbage"), st.binary(min_size=1, max_size=40), st.just(0)),
)


def build(segments):
    stream, valid, damaged = b"", [], 0
    for kind, a, b in segments:
        if kind == "garbage":
            stream += a
            continue
        frame = encode_frame(a)
        if kind == "valid":
            valid.append(a)
        elif kind == "badsum":
            want = (checksum(a.encode()) ^ b) & 0xFF
            frame = frame[:11] + f"{want:02X}".encode() + b"\x03"
            damaged += 1
        elif kind == "trunc":
            frame = frame[:b]
            damaged += 1
        else:
            frame = frame[:b] + b"Z" + frame[b + 1 :]
            damaged += 1
        stream += frame
    return stream, valid, damaged


@settings(max_examples=300, deadline=None)
@given(st.lists(SEGMENT, max_size=30), st.lists(st.integers(0, 1000), max_size=10))
def test_damaged_and_interleaved_streams(segments, cuts):
    stream, valid, damaged = build(segments)
    p = Rdm6300Parser()
    res = feed_all(p, stream, cuts)
    check_accounting(p, res)
    got = [r.value for r in readings(res)]
    # never a false reading: exactly what an independent decoder finds in the bytes
    assert got == oracle(stream)
    # no whole frame lost, whatever came before or after it
    assert is_subsequence(valid, got)
    # every damaged frame counted (garbage can, very rarely, complete a truncated frame
    # into a real one: that one is then a reading, not an error)
    framing = [e for e in errors(res) if e.reason != "noise"]
    assert len(framing) >= damaged - (len(got) - len(valid))
    # the split into reads changes nothing
    assert feed_all(Rdm6300Parser(), stream) == res
