"""Reading JSON that may be hostile: bounded before Python objects are built, checked per record.

Why this module exists: the server parses bodies posted by kiosks (or by
anyone holding a stolen token) and the kiosk's store parses files a broken
disk or an old bug may have mangled. ``json.loads`` on such input can build
millions of objects from a few megabytes (``[[],[],...]``), raise
``RecursionError`` on deep nesting, ``ValueError`` on a 5,000-digit number,
and hand back strings with NULs or lone surrogates that a database refuses.
This module makes each of those a named problem:

- :func:`prescan` bounds a whole document at C speed before anything is
  built: how many JSON values it can hold (``[``, ``{`` and ``,`` counted,
  quotes too) and how long any single token can be (no run of bytes without
  a quote or bracket longer than ``max_token_bytes``). It also works on a stream, piece
  by piece (:class:`Prescan`), so a decompression bomb is stopped early.
- :func:`loads` parses with hooks that turn an oversized number, ``NaN`` or
  ``Infinity`` into an :class:`Oversize` marker instead of an exception.
- :func:`split_members` finds the members of one top-level container (the
  ``records`` array of a batch, the ``records`` object of a store file)
  without building them, with each member's nesting depth, so a document that
  is too deep for ``json.loads`` as a whole can still be read member by
  member and the deep member refused alone.
- :func:`problem` checks one parsed value against :class:`RecordLimits`
  (depth, items per container, values in all, string length, NUL and lone
  surrogates, oversized numbers) and names the first problem with its path.

No dependencies beyond the standard library: the kiosk uses it too.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class RecordLimits:
    """What one record may contain. A valid record is far inside these (depth 3, a few hundred
    values); they are loose enough for any record the schema accepts in practice."""

    max_depth: int = 8
    max_items: int = 10_000
    """Items in one array or members in one object."""
    max_values: int = 50_000
    """Values in one record, all levels together."""
    max_string: int = 4_096
    """Characters in one string (the longest field allows 2,000)."""
    max_int_digits: int = 16
    max_float_chars: int = 40
    allow_nul: bool = False
    """The kiosk's store keeps a NUL in a text (it can); the server refuses it (PostgreSQL
    cannot store it), so the kiosk learns the record is invalid and stops sending it."""


@dataclass(frozen=True)
class DocumentLimits:
    """What one whole document (a posted body, a store file) may contain."""

    max_values: int = 200_000
    """Upper bound on JSON values (``[`` + ``{`` + ``,`` bytes, counted before parsing)."""
    max_quotes: int = 800_000
    max_token_bytes: int = 64 * 1024
    """Longest run of bytes without a quote, bracket, brace, comma or colon: bounds every
    number and run of spaces, and every string that is not full of counted bytes."""


RECORD_LIMITS = RecordLimits()
STORE_LIMITS = RecordLimits(allow_nul=True, max_values=250_000)
"""For the kiosk's own files: loose enough for every record the schema accepts (10,000
repetitions with 20 flags each), so what the store saved it can always read back."""
DOCUMENT_LIMITS = DocumentLimits()


class LimitError(ValueError):
    """A document is over a :class:`DocumentLimits` bound, or not JSON the splitter can follow."""


@dataclass(frozen=True)
class Oversize:
    """Stands in for a number too large to keep (or ``NaN``/``Infinity``) in a parsed value."""

    head: str
    """The number's first characters."""
    length: int

    @classmethod
    def of(cls, text: str) -> Oversize:
        return cls(text[:16], len(text))

    def describe(self) -> str:
        if self.length > len(self.head):
            return f"number of {self.length:,} characters ({self.head}...)"
        return f"number {self.head}"


# --- bounding a whole document -----------------------------------------------------


class Prescan:
    """Counts, piece by piece, what bounds a document; raises :class:`LimitError` when over."""

    def __init__(self, limits: DocumentLimits = DOCUMENT_LIMITS) -> None:
        self.limits = limits
        self.values = 0
        self.quotes = 0
        self._run = 0
        """Bytes since the last quote or structural byte (carried across pieces)."""

    def feed(self, piece: bytes | bytearray) -> None:
        lim = self.limits
        self.values += piece.count(b"[") + piece.count(b"{") + piece.count(b",")
        if self.values > lim.max_values:
            raise LimitError(
                f"holds more than {lim.max_values:,} JSON values; send fewer records at once"
            )
        quotes = piece.count(b'"')
        self.quotes += quotes
        if self.quotes > lim.max_quotes:
            raise LimitError(f"holds more than {lim.max_quotes // 2:,} strings")
        self._runs(piece.translate(_BREAKS_TO_QUOTE), lim.max_token_bytes)
        if self._run > lim.max_token_bytes:
            self._too_long()

    def _runs(self, marked: bytes, limit: int) -> None:
        """Refuse a run of more than ``limit`` bytes between structural bytes (all made ``"``).

        Probes every ``limit // 2`` bytes instead of measuring every run: a run longer
        than ``limit`` holds a probe from which the next ``"`` is over ``limit // 2`` away,
        and only there is the run measured. A few ``find`` calls per piece, in C.
        """
        first = marked.find(b'"')
        if first < 0:  # no structural byte at all in this piece
            self._run += len(marked)
            return
        if self._run + first > limit:
            self._too_long()
        last = marked.rfind(b'"')
        half = max(1, limit // 2)
        for p in range(first, last, half):
            nxt = marked.find(b'"', p + 1)
            if nxt - p > half and nxt - marked.rfind(b'"', 0, p + 1) - 1 > limit:
                self._too_long()
        self._run = len(marked) - last - 1

    def _too_long(self) -> None:
        raise LimitError(
            f"runs for more than {self.limits.max_token_bytes:,} bytes without a quote or "
            "bracket (a string, number or run of spaces that long is refused)"
        )


_BREAKS_TO_QUOTE = bytes.maketrans(b"[]{},:", b'""""""')


def prescan(data: bytes | bytearray, limits: DocumentLimits = DOCUMENT_LIMITS) -> None:
    Prescan(limits).feed(data)


# --- parsing with markers instead of exceptions ------------------------------------


def _hooks(limits: RecordLimits) -> dict[str, Any]:
    def parse_int(text: str) -> int | Oversize:
        digits = len(text) - (text[0] == "-")
        return Oversize.of(text) if digits > limits.max_int_digits else int(text)

    def parse_float(text: str) -> float | Oversize:
        if len(text) > limits.max_float_chars:
            return Oversize.of(text)
        value = float(text)
        return value if math.isfinite(value) else Oversize.of(text)

    return {"parse_int": parse_int, "parse_float": parse_float, "parse_constant": Oversize.of}


def loads(data: bytes | bytearray | str, limits: RecordLimits = RECORD_LIMITS) -> Any:
    """``json.loads`` that does not fail on numbers: one too long to convert becomes an
    :class:`Oversize` marker (other large numbers, ``NaN`` and ``Infinity`` are kept as
    Python reads them; :func:`problem` and the record schema refuse them).

    Plain ``json.loads`` first (number hooks make parsing three times slower); only a
    document with a number Python refuses to convert is parsed again with the hooks.
    Raises ``json.JSONDecodeError``/``UnicodeDecodeError`` for text that is not JSON and
    ``RecursionError`` for nesting deeper than Python's stack (use :func:`split_members`).
    """
    try:
        return json.loads(data)
    except json.JSONDecodeError:
        raise
    except ValueError:  # e.g. "Exceeds the limit (4300 digits) for integer string conversion"
        return json.loads(data, **_hooks(limits))


# --- finding members without building them -----------------------------------------

_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},:]')
_OPEN = {ord("["): ord("]"), ord("{"): ord("}")}
_QUOTE, _COMMA, _COLON = ord('"'), ord(","), ord(":")


@dataclass(frozen=True)
class Member:
    name: str | None
    """The member's key (object members) or ``None`` (array items)."""
    start: int
    end: int
    depth: int
    """Nesting inside the member: 0 for a scalar, 1 for a flat array or object."""


@dataclass
class Split:
    container: Literal["array", "object", "missing", "other"] = "missing"
    """What the top-level key held (``other``: a scalar)."""
    members: list[Member] = field(default_factory=list)
    others: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """Other top-level keys: (start, end, depth) of their values."""


def _string(raw: bytes) -> str:
    value = json.loads(raw)
    assert isinstance(value, str)
    return value


def split_members(data: bytes, key: str) -> Split:
    """The members of the container under top-level ``key`` of a JSON object, not parsed.

    Raises :class:`LimitError` when ``data`` is not a JSON object or its brackets do not match.
    Each member's bytes ``data[m.start:m.end]`` are one JSON value (check with :func:`loads`).
    """
    out = Split()
    stack: list[int] = []
    in_target = False
    top_key: str | None = None
    value_start = -1
    value_depth = 0
    m_name: str | None = None
    m_start = -1
    m_depth = 0
    last_string: bytes | None = None
    seen_top = False
    pos = 0

    def close_member(end: int) -> None:
        nonlocal m_start, m_name, m_depth
        if m_start >= 0:
            if not data[m_start:end].strip():
                if out.members or out.container == "object" or data[end : end + 1] == b",":
                    raise LimitError("not valid JSON: an empty member")
            else:
                out.members.append(Member(m_name, m_start, end, m_depth))
        m_start, m_name, m_depth = -1, None, 0

    def close_value(end: int) -> None:
        nonlocal top_key, value_start
        if top_key is not None and top_key != key and value_start >= 0:
            out.others[top_key] = (value_start, end, value_depth)
        elif top_key == key and out.container == "missing" and value_start >= 0:
            out.container = "other"
        top_key, value_start = None, -1

    for m in _TOKEN.finditer(data):
        if not stack and m.start() > pos and data[pos : m.start()].strip():
            raise LimitError("not valid JSON: text outside the top-level object")
        c = data[m.start()]
        depth = len(stack)
        if c == _QUOTE:
            last_string = m.group()
            if depth == 0:
                raise LimitError("not valid JSON: the top level must be an object")
        elif c in _OPEN:
            if depth == 0:
                if c != ord("{"):
                    raise LimitError("the top level is not a JSON object")
                if seen_top:
                    raise LimitError("not valid JSON: more than one top-level value")
                seen_top = True
            stack.append(c)
            if depth == 1 and top_key == key:
                if out.container != "missing":
                    raise LimitError(f"key {key!r} appears twice")
                out.container = "array" if c == ord("[") else "object"
                in_target = True
                m_start = m.end() if c == ord("[") else -1
            elif in_target:
                m_depth = max(m_depth, depth - 1)
            elif depth >= 1:
                value_depth = max(value_depth, depth)
        elif c in (ord("]"), ord("}")):
            if not stack or _OPEN[stack[-1]] != c:
                raise LimitError("not valid JSON: brackets do not match")
            stack.pop()
            if in_target and len(stack) == 1:
                close_member(m.start())
                in_target = False
            elif len(stack) == 0:
                close_value(m.start())
        elif c == _COMMA:
            if depth == 1:
                close_value(m.start())
            elif in_target and depth == 2:
                close_member(m.start())
                if out.container == "array":
                    m_start = m.end()
        elif c == _COLON:
            if depth == 1:
                if last_string is None:
                    raise LimitError("not valid JSON: a key must be a string")
                top_key = _string(last_string)
                value_start, value_depth = m.end(), 0
            elif in_target and depth == 2 and out.container == "object":
                if last_string is None:
                    raise LimitError("not valid JSON: a key must be a string")
                m_name, m_start, m_depth = _string(last_string), m.end(), 0
        if c != _QUOTE:
            last_string = None
        pos = m.end()
    if stack:
        raise LimitError("not valid JSON: the document ends inside a container")
    if data[pos:].strip():
        raise LimitError("not valid JSON: text after the top-level object")
    return out


# --- checking one parsed value ---------------------------------------------------------


def _string_problem(text: str, limits: RecordLimits) -> str | None:
    if len(text) > limits.max_string:
        return f"text of {len(text):,} characters is longer than {limits.max_string:,}"
    if not limits.allow_nul and "\x00" in text:
        return "contains a NUL character (U+0000), which the database cannot store"
    if _SURROGATE.search(text):
        return "contains a lone surrogate (not valid Unicode text)"
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean_text(text: str, limits: RecordLimits) -> bool:
    if len(text) > limits.max_string or (not limits.allow_nul and "\x00" in text):
        return False
    return text.isascii() or _SURROGATE.search(text) is None


def _clean(value: Any, limits: RecordLimits) -> bool:
    """True when ``value`` is within ``limits`` (the fast walk: no paths kept)."""
    if type(value) is not dict and type(value) is not list:
        return _clean_scalar(value, limits)
    max_depth, max_items, max_string = limits.max_depth, limits.max_items, limits.max_string
    nul_ok = limits.allow_nul
    count = 1
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if depth > max_depth or len(v) > max_items:
            return False
        count += len(v)
        if type(v) is dict:
            for k in v:
                if len(k) > max_string or not k.isascii() or "\x00" in k:
                    if not _clean_text(k, limits):
                        return False
            items = v.values()
        else:
            items = v
        for x in items:
            t = type(x)
            if t is str:
                if len(x) > max_string or (not nul_ok and "\x00" in x):
                    return False
                if not x.isascii() and _SURROGATE.search(x):
                    return False
            elif t is dict or t is list:
                stack.append((x, depth + 1))
            elif t is int:
                if not -_INT_LIMIT < x < _INT_LIMIT:
                    return False
            elif t is float:
                if not math.isfinite(x):
                    return False
            elif t is Oversize:
                return False
    return count <= limits.max_values


def _clean_scalar(value: Any, limits: RecordLimits) -> bool:
    if isinstance(value, str):
        return _clean_text(value, limits)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return -_INT_LIMIT < value < _INT_LIMIT
    return not isinstance(value, Oversize)


def problem(value: Any, limits: RecordLimits = RECORD_LIMITS) -> tuple[str, str] | None:
    """The first way ``value`` (from :func:`loads`) breaks ``limits``: ``(path, message)``."""
    if _clean(value, limits):
        return None
    count = 0
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        v, path, depth = stack.pop()
        where = path or "<record>"
        count += 1
        if count > limits.max_values:
            return "<record>", f"holds more than {limits.max_values:,} values"
        if isinstance(v, dict | list):
            if depth >= limits.max_depth:
                return where, f"nested deeper than {limits.max_depth} levels"
            if len(v) > limits.max_items:
                return where, f"holds {len(v):,} items, more than {limits.max_items:,}"
            if isinstance(v, dict):
                for k, item in v.items():
                    bad = _string_problem(k, limits)
                    if bad is not None:
                        return where, f"a key {bad}"
                    stack.append((item, f"{path}.{k}" if path else k, depth + 1))
            else:
                for i, item in enumerate(v):
                    stack.append((item, f"{path}.{i}" if path else str(i), depth + 1))
        elif isinstance(v, str):
            bad = _string_problem(v, limits)
            if bad is not None:
                return where, bad
        elif isinstance(v, Oversize):
            return where, f"{v.describe()} is out of range"
        elif isinstance(v, float) and not math.isfinite(v):
            return where, f"number {v} is out of range"
        elif isinstance(v, int) and not isinstance(v, bool) and not -_INT_LIMIT < v < _INT_LIMIT:
            return where, f"{Oversize.of(str(v)).describe()} is out of range"
    return None


_INT_LIMIT = 10**16
"""Integers of more digits than ``RecordLimits.max_int_digits`` (16) are refused."""
