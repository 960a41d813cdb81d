"""Delete my data: asked once more in plain words, then every record of the signed-in
resident is removed from this kiosk and a deletion is sent that the server carries out.
Only the signed-in resident's own data can be deleted (the residents service checks the
visit). Afterwards the visit goes on as a guest's: nothing more is kept about them."""

from __future__ import annotations

import logging

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.i18n import N_
from kiosk.shell.running import kiosk_app

log = logging.getLogger(__name__)

ASK = N_("Delete all your records? Your exercises, lessons, test results and profile will be removed from this station, and from the community's server at the next sync. This cannot be undone.")
DONE = N_("Your data has been deleted from this station. The server deletes it at the next sync. You are now a guest.")
FAILED = N_("Your data could not be deleted. Please ask the staff for help.")


class DeleteScreen(Screen):
    message = StringProperty("")
    asking = BooleanProperty(True)
    deleted = -1
    """How many records were deleted here (tests read it); -1 before."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._msgid = ASK
        kiosk_app().bind(lang=lambda *_: self._say(self._msgid))

    def _say(self, msgid: str) -> None:
        app = kiosk_app()
        self._msgid = msgid
        self.message = app.t(msgid, app.lang)

    def on_pre_enter(self, *args: object) -> None:
        self.asking = True
        self.deleted = -1
        self._say(ASK)

    def confirm(self) -> None:
        app = kiosk_app()
        residents = app.services.residents
        visit = residents.visit if residents is not None else None
        if residents is None or visit is None or visit.resident != app.resident_id:
            self._say(FAILED)
            self.asking = False
            return
        self.asking = False
        self._say(N_("Deleting…"))
        try:
            residents.delete_my_data(visit, self._done)
        except (PermissionError, RuntimeError) as exc:
            log.error("delete my data refused: %s", exc)
            self._say(FAILED)
            return
        # nothing more is kept about them: the rest of the visit is a guest's
        residents.end_visit()
        app.resident_id = ""

    def _done(self, n: int | None, error: BaseException | None) -> None:
        if error is not None:
            log.error("delete my data failed: %s", error)
            self._say(FAILED)
            return
        self.deleted = n or 0
        self._say(DONE)

    def keep(self) -> None:
        kiosk_app().go("records")

    def finish(self) -> None:
        kiosk_app().go_home()
