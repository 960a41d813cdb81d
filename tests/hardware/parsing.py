"""Helpers shared by the parser property tests."""

from __future__ import annotations

from collections.abc import Sequence

from hardware.drivers.base import BaseParser
from hardware.events import FrameError, Measurement, ParseResult


def feed_all(parser: BaseParser, data: bytes, cuts: Sequence[int] = ()) -> list[ParseResult]:
    """Feed ``data`` split at ``cuts``, then flush with ``reset()``."""
    out: list[ParseResult] = []
    prev = 0
    for c in sorted(set(min(max(c, 0), len(data)) for c in cuts)):
        out += parser.feed(data[prev:c])
        prev = c
    out += parser.feed(data[prev:])
    out += parser.reset()
    return out


def readings(results: Sequence[ParseResult]) -> list[Measurement]:
    return [r for r in results if isinstance(r, Measurement)]


def errors(results: Sequence[ParseResult]) -> list[FrameError]:
    return [r for r in results if isinstance(r, FrameError)]


def check_accounting(parser: BaseParser, results: Sequence[ParseResult]) -> None:
    """Every result is typed; the rejected counter equals the errors returned."""
    assert all(isinstance(r, Measurement | FrameError) for r in results)
    errs = errors(results)
    assert parser.rejected == len(errs)
    assert sum(parser.errors.values()) == len(errs)


def is_subsequence(small: Sequence[object], big: Sequence[object]) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)
