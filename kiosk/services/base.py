"""The service interface, the typed set of running services, and the status rows.

Why this module exists: the app and the feature screens reach the Kivy-free
services through one object, ``Services``, whose attributes are typed
(``services.store`` is a ``StoreService`` or None), so a checker sees every
use; the maintainer page reads each service's ``status()`` rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from kiosk.services.content import ContentService
    from kiosk.services.residents import ResidentsService
    from kiosk.services.sensors import SensorsService
    from kiosk.services.store import StoreService
    from kiosk.services.sync import SyncService
    from kiosk.services.vision import VisionService
    from kiosk.services.voice import Voice

State = Literal["ok", "warning", "error", "unavailable", "not_available_yet"]
ServiceName = Literal["store", "sync", "sensors", "vision", "voice", "residents", "content"]
SERVICE_NAMES: tuple[ServiceName, ...] = ("store", "sync", "sensors", "vision", "voice",
                                          "residents", "content")

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


@dataclass
class Services:
    """The services a kiosk runs; an attribute is None when this kiosk has no such part.

    Started in field order (the store before sync, residents before sensors, content
    before vision, which loads the exercises installed from bundles) and stopped in reverse.
    """

    store: StoreService | None = None
    sync: SyncService | None = None
    residents: ResidentsService | None = None
    sensors: SensorsService | None = None
    content: ContentService | None = None
    vision: VisionService | None = None
    voice: Voice | None = None

    def __iter__(self) -> Iterator[Service]:
        for f in fields(self):
            svc = getattr(self, f.name)
            if svc is not None:
                yield svc

    def has(self, name: ServiceName) -> bool:
        return getattr(self, name, None) is not None
