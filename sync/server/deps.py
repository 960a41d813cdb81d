"""What every route of the server shares: the database, token auth, capped body reading.

Why this module exists: each router module (``sync.server.routes.*``) needs
the same three things, and each must behave the same way on hostile input:
the token is checked from the headers before a single byte of the body is
read, every body is read as a stream with a hard cap (on the wire and after
gunzip), and problems become :class:`ApiError` (a 4xx with a JSON
``detail``), never a 500.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from sync.api import MAX_BATCH, MAX_BODY_BYTES, MAX_INFLATED_BYTES
from sync.server.db import Database

INFLATE_CHUNK = 256 * 1024
"""Bytes of output per inflate step: a decompression bomb is stopped within one step."""


class ApiError(Exception):
    """A request the server refuses: answered with ``status`` and a JSON ``detail``."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        super().__init__(detail)


@dataclass(frozen=True)
class Limits:
    """Size limits of one request (the API's defaults; tests use smaller ones)."""

    max_batch: int = MAX_BATCH
    max_body: int = MAX_BODY_BYTES
    max_inflated: int = MAX_INFLATED_BYTES


class SafeJSONResponse(JSONResponse):
    """JSON with every non-ASCII character escaped: a lone surrogate echoed from a hostile
    request (in a field name, say) can never make the answer unencodable (a 500)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=True, allow_nan=False, separators=(",", ":")
        ).encode("ascii")


def safe_text(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters, for echoing parts of a request in an answer."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_limits(request: Request) -> Limits:
    limits: Limits = request.app.state.limits
    return limits


DB = Annotated[Database, Depends(get_db)]
RequestLimits = Annotated[Limits, Depends(get_limits)]

_BEARER = {"WWW-Authenticate": "Bearer", "Connection": "close"}
"""Refused before the body was read: close the connection rather than drain the body."""
_CLOSE = {"Connection": "close"}


def kiosk_from_token(request: Request, db: DB) -> str:
    """The kiosk whose token is in ``Authorization: Bearer``; 401 otherwise (body not read)."""
    authorization = request.headers.get("authorization")
    if not authorization:
        raise ApiError(401, "missing bearer token", _BEARER)
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        raise ApiError(401, "expected 'Authorization: Bearer <token>'", _BEARER)
    kiosk = db.kiosk_for_token(token)
    if kiosk is None:
        raise ApiError(401, "unknown kiosk token", _BEARER)
    return kiosk


Kiosk = Annotated[str, Depends(kiosk_from_token)]


async def read_body(request: Request, limits: Limits) -> bytes:
    """The request body, streamed with a cap on the wire; still gzip-compressed if it was sent so.

    Use :func:`inflate` (off the event loop) for the plain bytes.
    """
    max_body = limits.max_body
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ApiError(400, "Content-Length is not a number") from None
        if size > max_body:
            raise ApiError(
                413, f"body of {size} bytes is over the limit of {max_body} bytes", _CLOSE
            )
    body = bytearray()
    async for chunk in request.stream():
        if len(body) + len(chunk) > max_body:
            raise ApiError(413, f"body is over the limit of {max_body} bytes", _CLOSE)
        body += chunk
    return bytes(body)


def content_encoding(request: Request) -> str:
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return "identity"
    if encoding != "gzip":
        raise ApiError(
            415,
            safe_text(f"Content-Encoding {encoding!r} not supported (use gzip or none)"),
            _CLOSE,
        )
    return encoding


def inflate(
    body: bytes,
    encoding: str,
    max_inflated: int,
    check: Callable[[bytes], None] | None = None,
) -> bytes | bytearray:
    """gunzip ``body`` in bounded steps (at most ``max_inflated`` bytes out); 400/413 when bad.

    ``check`` sees every piece as it comes out (the plain body in one piece) and may raise
    :class:`ApiError` to stop a bomb before the rest is inflated.
    """
    if encoding == "identity":
        if check is not None:  # in pieces: the event loop's thread gets the GIL in between
            for i in range(0, len(body), INFLATE_CHUNK):
                check(body[i : i + INFLATE_CHUNK])
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    data = body
    try:
        while True:
            piece = inflater.decompress(data, INFLATE_CHUNK)
            if check is not None and piece:
                check(piece)
            out += piece
            if len(out) > max_inflated:
                raise ApiError(413, f"body inflates to more than {max_inflated} bytes")
            data = inflater.unconsumed_tail
            if inflater.eof or (not data and not piece):
                break
    except zlib.error as exc:
        raise ApiError(400, f"body is not valid gzip: {exc}") from None
    if not inflater.eof:
        raise ApiError(400, "gzip body is truncated")
    if inflater.unused_data:
        raise ApiError(
            400, f"gzip body has {len(inflater.unused_data)} byte(s) of trailing data after the end"
        )
    return out  # not copied to bytes: the body may be tens of MB
