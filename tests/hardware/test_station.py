"""Station protocol parser (docs/station-protocol.md): examples, then hypothesis."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.drivers.station import (
    SentenceError,
    StationParser,
    checksum,
    encode_sentence,
    parse_sentence,
)
from tests.hardware.parsing import check_accounting, errors, feed_all, readings

SPEC = Path(__file__).resolve().parents[2] / "docs" / "station-protocol.md"
NO_EOL = st.binary(min_size=1, max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")).filter(bool)


def test_spec_examples_parse():
    """Every example sentence in the specification is valid, with the checksum it shows."""
    text = SPEC.read_text(encoding="utf-8")
    examples = re.findall(r"^(\$[A-Z][^\s`]*\*[0-9A-F]{2})$", text, re.M)
    assert len(examples) >= 5
    for ex in examples:
        kind, fields, _ = parse_sentence(ex.encode())
        assert encode_sentence(kind, *fields).rstrip(b"\r\n") == ex.encode()


def test_sentences():
    assert encode_sentence("GRIP", "R", "32.5") == b"$GRIP,R,32.5*44\r\n"
    assert checksum(b"GRIP,R,32.5") == 0x44
    p = StationParser()
    data = b"".join(
        [
            encode_sentence("HELLO", 1, "GRIP-200", "2.1"),
            encode_sentence("GRIP", "L", "28.4"),
            encode_sentence("BIKE", 62, 85),
            encode_sentence("BP", 128, 82, 71),
            encode_sentence("FUTURE", "x"),  # unknown kind: ignored, not an error
        ]
    )
    res = feed_all(p, data)
    assert [(r.kind, r.value, r.unit) for r in readings(res)] == [
        ("grip_left", 28.4, "kg"),
        ("cadence", 62.0, "rpm"),
        ("power", 85.0, "W"),
        ("bp_systolic", 128.0, "mmHg"),
        ("bp_diastolic", 82.0, "mmHg"),
        ("bp_pulse", 71.0, "bpm"),
    ]
    assert p.identity == ["1", "GRIP-200", "2.1"] and p.ignored == 1 and p.rejected == 0


def test_error_reasons():
    cases = {
        b"$GRIP,R,32.5*45": "checksum",
        encode_sentence("GRIP", "X", "32.5").strip(): "malformed",
        encode_sentence("GRIP", "R", "abc").strip(): "malformed",
        encode_sentence("GRIP", "R", "300").strip(): "out_of_range",
        encode_sentence("BP", 80, 120, 70).strip(): "out_of_range",
        encode_sentence("BIKE", 60).strip(): "malformed",
        b"$GRIP,R,32.5": "malformed",
        b"$" + b"A" * 90 + b"*00": "overlong",
    }
    for sentence, reason in cases.items():
        try:
            parse_sentence(sentence)
        except SentenceError as exc:
            assert exc.reason == reason, sentence
        else:
            raise AssertionError(f"{sentence!r} accepted")


def test_fragments_and_noise_counted():
    p = StationParser()
    good = encode_sentence("GRIP", "R", "30.0")
    res = feed_all(p, b"junk$GRIP,R,3$BIKE" + good)
    assert [r.value for r in readings(res)] == [30.0]
    assert [e.reason for e in errors(res)] == ["noise", "truncated", "truncated"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000), st.lists(st.integers(0, 3000), max_size=8))
def test_random_bytes(data, cuts):
    p = StationParser()
    res = feed_all(p, data, cuts)
    check_accounting(p, res)
    if readings(res):
        assert re.search(rb"\$[A-Z][A-Z0-9]+,[^\r\n]*\*[0-9A-Fa-f]{2}", data)


def sentence(draw_kind, a, b):
    if draw_kind == 0:
        return encode_sentence("GRIP", "LR"[a % 2], f"{b % 1500 / 10:.1f}"), 1
    if draw_kind == 1:
        return encode_sentence("BIKE", a % 251, b % 2001), 2
    sys_ = 100 + a % 80
    return encode_sentence("BP", sys_, 50 + b % 40, 40 + (a + b) % 100), 3


SEGMENT = st.one_of(
    st.tuples(st.just("valid"), st.integers(0, 2), st.integers(0, 10**6), st.integers(0, 10**6)),
    st.tuples(st.just("badsum"), st.integers(0, 2), st.integers(0, 10**6), st.integers(0, 10**6)),
    st.tuples(st.just("trunc"), st.integers(0, 2), st.integers(0, 10**6), st.integers(1, 30)),
    st.tuples(st.just("garbage"), NO_EOL, st.just(0), st.just(0)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(SEGMENT, max_size=30), st.lists(st.integers(0, 1000), max_size=10))
def test_damaged_and_interleaved_streams(segments, cuts):
    stream, expected, damaged = b"", 0, 0
    values = []
    for kind, k, a, b in segments:
        if kind == "garbage":
            stream += k
            continue
        s, n = sentence(k, a, b)
        if kind == "valid":
            stream += s
            values += [m.value for m in readings(StationParser().feed(s))]
            expected += n
            continue
        damaged += 1
        if kind == "badsum":
            star = s.rfind(b"*")
            hh = int(s[star + 1 : star + 3], 16) ^ (1 + a % 255)
            stream += s[: star + 1] + f"{hh:02X}".encode() + b"\r\n"
        else:
            stream += s[: min(b, len(s) - 3)]
    p = StationParser()
    res = feed_all(p, stream, cuts)
    check_accounting(p, res)
    assert [r.value for r in readings(res)] == values and len(values) == expected
    framing = [e for e in errors(res) if e.reason != "noise"]
    assert len(framing) >= damaged
    assert feed_all(StationParser(), stream) == res
