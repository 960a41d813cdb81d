"""The service interface and the status rows the maintainer page shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

State = Literal["ok", "warning", "error", "unavailable", "not_available_yet"]

Post = Callable[[Callable[[], None]], None]
"""Runs a callable on the UI thread (the app passes a Clock-based one)."""


def post_inline(fn: Callable[[], None]) -> None:
    """A ``Post`` for tests and the CLI: run at once on the calling thread."""
    fn()


@dataclass(frozen=True)
class StatusRow:
    area: str
    """camera, sensors, store, sync, content, ... (a msgid the page translates)."""
    name: str
    """What this row is about: a device name, a directory, a URL."""
    state: State
    detail: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class Service(Protocol):
    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def status(self) -> list[StatusRow]: ...
