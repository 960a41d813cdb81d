"""Scale line parser: documented lines, then hypothesis on random and damaged streams."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.drivers.scale import ScaleParser, encode_line, parse_frame
from tests.hardware.parsing import check_accounting, errors, feed_all, readings

NO_EOL = st.binary(min_size=1, max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")).filter(bool)


def test_documented_lines():
    assert encode_line(72.5) == b"ST,GS,+  72.50kg\r\n"
    assert parse_frame(b"ST,GS,+  72.50kg") == ("ST", "GS", 72.5)
    assert parse_frame(b"US,NT,-   0.40kg") == ("US", "NT", -0.4)
    assert parse_frame(b"ST,GS,+ 160.00lb").kg == round(160 * 0.45359237, 3)
    assert parse_frame(b"ST,GS,+72500g") == ("ST", "GS", 72.5)
    assert parse_frame(b"OL,GS,+  --.--kg").status == "OL"
    assert parse_frame(b"ST,GS,+ 999.00kg")[0] == "out_of_range"
    assert parse_frame(b"ST,XX,+  72.50kg")[0] == "malformed"


def test_weight_only_when_stable_once_per_stable_period():
    p = ScaleParser()
    lines = [encode_line(0.0)] * 5
    lines += [encode_line(w, stable=False) for w in (20.1, 55.3, 71.9, 72.6)]
    lines += [encode_line(72.5)] * 20
    lines += [encode_line(30.0, stable=False), encode_line(0.0, stable=False)]
    lines += [encode_line(0.0)] * 5
    res = feed_all(p, b"".join(lines))
    assert [(r.kind, r.value, r.unit) for r in readings(res)] == [
        ("weight", 0.0, "kg"),
        ("weight", 72.5, "kg"),
        ("weight", 0.0, "kg"),
    ]
    assert p.rejected == 0


def test_garbage_before_frame_is_counted_and_frame_kept():
    p = ScaleParser()
    res = feed_all(p, b"\x00\xffST,GS,+  7" + encode_line(64.2))
    assert [r.value for r in readings(res)] == [64.2]
    assert [e.reason for e in errors(res)] == ["noise", "truncated"]


def test_overlong_line_bounded():
    p = ScaleParser()
    res = feed_all(p, b"x" * 5000 + encode_line(50.0))
    assert [r.value for r in readings(res)] == [50.0]
    assert {e.reason for e in errors(res)} == {"overlong", "noise"}
    check_accounting(p, res)


_FRAMEISH = re.compile(rb"(ST),(GS|NT),([+-]) *([0-9.]+) *(kg|lb|g)")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000), st.lists(st.integers(0, 3000), max_size=8))
def test_random_bytes(data, cuts):
    p = ScaleParser()
    res = feed_all(p, data, cuts)
    check_accounting(p, res)
    if readings(res):  # only possible if the bytes really hold a stable frame
        assert _FRAMEISH.search(data)


WEIGHT = st.integers(-500, 30000).map(lambda c: c / 100)
SEGMENT = st.one_of(
    st.tuples(st.just("valid"), WEIGHT, st.booleans(), st.booleans()),
    st.tuples(st.just("trunc"), WEIGHT, st.booleans(), st.integers(3, 15)),
    st.tuples(st.just("bad"), WEIGHT, st.booleans(), st.integers(0, 6)),
    st.tuples(st.just("garbage"), NO_EOL, st.just(False), st.just(0)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(SEGMENT, max_size=30), st.lists(st.integers(0, 1000), max_size=10))
def test_damaged_and_interleaved_streams(segments, cuts):
    stream, expected, damaged, last = b"", [], 0, None
    for kind, a, b, c in segments:
        if kind == "garbage":
            stream += a
            continue
        line = encode_line(a, stable=b)
        if kind == "valid":
            stream += line
            if not b:
                last = None
            elif a != last:
                expected.append(a)
                last = a
            continue
        damaged += 1
        if kind == "trunc":  # cut inside the frame (header kept: a lone `U` is just noise)
            stream += line[: min(c, len(line) - 3)]
        else:  # a character of the weight turns into something else
            digits = [i for i, ch in enumerate(line) if chr(ch).isdigit()]
            i = digits[c % len(digits)]
            stream += line[:i] + b"?" + line[i + 1 :]
    p = ScaleParser()
    res = feed_all(p, stream, cuts)
    check_accounting(p, res)
    assert [r.value for r in readings(res)] == expected
    assert p.rejected >= damaged
    assert feed_all(ScaleParser(), stream) == res
