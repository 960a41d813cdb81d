"""Sign in: tap a card, use a number code, get a new code, or go on as a guest."""

from __future__ import annotations

from kivy.uix.screenmanager import Screen

from kiosk.shell.running import kiosk_app


class SignInScreen(Screen):
    def guest(self) -> None:
        app = kiosk_app()
        if not app.visit_active:
            app.start_visit("")
        else:
            app.go_home()
