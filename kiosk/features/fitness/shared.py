"""Small helpers the fitness screens share: the visit state, saving a result, speaking."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.features.fitness.state import FitnessVisit
from kiosk.shell.running import kiosk_app
from sync.records import FitnessTestResult


def fitness_visit() -> FitnessVisit:
    from kiosk.features.fitness.menu import FitnessMenuScreen

    return kiosk_app().screen_as("fitness", FitnessMenuScreen).visit


def save_result(record: FitnessTestResult,
                on_done: Callable[[BaseException | None], None]) -> None:
    """Save a fitness result on the store's thread (and sync it soon)."""
    app = kiosk_app()
    store = app.services.store
    if store is None or not store.available:
        on_done(RuntimeError("the local store is not available"))
        return

    def done(err: BaseException | None) -> None:
        on_done(err)
        if err is None and app.services.sync is not None:
            app.services.sync.sync_now()

    store.save_async(record, done)


def say(key: str, text: str) -> None:
    app = kiosk_app()
    voice = app.services.voice
    if voice is not None and app.cfg.voice.enabled and text:
        voice.say(key, text, app.lang)
