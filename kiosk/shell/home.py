"""The home screen: one large tile per feature, in the configured order, in a grid that
follows their number (1 to 8) and the window's orientation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.features.registry import Feature
from kiosk.shell.running import kiosk_app
from kiosk.shell.tile_grid import grid_shape

MIN_FIT = 0.45
"""Texts never shrink below this share of their size (large text stays large)."""


class HomeTile(ButtonBehavior, BoxLayout):
    """One feature's tile: symbol, title and subtitle, with the texts shrunk (``fit``)
    only as far as needed to stay inside the tile in every language and in large text."""

    feature_id = StringProperty("")
    title_msgid = StringProperty("")
    subtitle_msgid = StringProperty("")
    symbol = StringProperty("")
    colour = ListProperty([0.3, 0.3, 0.3, 1])
    ready = BooleanProperty(True)
    title = StringProperty("")
    subtitle = StringProperty("")
    fit = NumericProperty(1.0)
    """The text scale drawn (the home screen gives every tile the smallest needed one)."""
    needed_fit = NumericProperty(1.0)
    """The largest text scale at which this tile's own texts fit."""

    def __init__(self, **kwargs: Any) -> None:
        self._refit = Clock.create_trigger(self._fit_texts, -1)
        super().__init__(**kwargs)
        self.bind(size=self._refit, title=self._refit, subtitle=self._refit)
        kiosk_app().bind(large=self._app_changed, u=self._app_changed)  # weakly bound

    def _app_changed(self, *_args: object) -> None:
        self._refit()

    def _fit_texts(self, *_args: object) -> None:
        labels = (self.ids.symbol, self.ids.title, self.ids.subtitle)
        inner_w = self.width - self.padding[0] - self.padding[2]
        room = self.height - self.padding[1] - self.padding[3] - 4 * self.spacing
        fit = 1.0
        while True:
            self.fit = fit
            for label in labels[1:]:
                label.text_size = (inner_w, None)
            for label in labels:
                label.texture_update()
            need = sum(label.texture_size[1] for label in labels)
            wide = max(label.texture_size[0] for label in labels)
            if (need <= room and wide <= inner_w) or fit <= MIN_FIT:
                break
            fit = max(MIN_FIT, fit * 0.9)
        self.needed_fit = fit
        self.property("needed_fit").dispatch(self)  # the screen evens the tiles out


class HomeScreen(Screen):
    show_sign_in = BooleanProperty(False)
    """A guest on a kiosk that offers sign-in: the sign-in strip is shown."""

    def __init__(self, **kwargs: Any) -> None:
        self.tiles: dict[str, Widget] = {}
        """The tiles by feature id."""
        super().__init__(**kwargs)

    def on_kv_post(self, base_widget: object) -> None:
        self.ids.grid.bind(size=self._arrange)
        self.show_tiles(kiosk_app().home_tiles)
        app = kiosk_app()
        app.bind(resident_id=self._sign_in_strip, visit_active=self._sign_in_strip,
                 can_sign_in=self._sign_in_strip)
        self._sign_in_strip()

    def _sign_in_strip(self, *_args: object) -> None:
        app = kiosk_app()
        self.show_sign_in = app.can_sign_in and app.visit_active and not app.resident_id

    def show_tiles(self, features: Sequence[Feature]) -> None:
        """One tile per feature, in this order (the app gives the configured ones)."""
        app = kiosk_app()
        grid = self.ids.grid
        for old in self.tiles.values():
            # the tile's kv rules bind to the app (large text, language): unbind them, or a
            # later change reaches a collected tile through a dead weak proxy (ReferenceError)
            Builder.unbind_widget(old.uid)
        grid.clear_widgets()
        self.tiles.clear()
        grid.cols, grid.rows = grid_shape(len(features), grid.width, grid.height)
        for feature in features:
            tile = HomeTile()
            tile.feature_id = feature.id
            tile.title_msgid = feature.title
            tile.subtitle_msgid = feature.subtitle
            tile.symbol = feature.icon
            tile.colour = feature.colour
            tile.ready = app.feature_ready(feature)
            tile.bind(on_release=self._open, needed_fit=self._even_out)
            grid.add_widget(tile)
            self.tiles[feature.id] = tile
        self._arrange()

    def _even_out(self, *_args: object) -> None:
        """Every tile draws its texts at the same scale: the smallest any tile needs."""
        fit = min((t.needed_fit for t in self.tiles.values()), default=1.0)
        for tile in self.tiles.values():
            tile.fit = fit

    def _open(self, tile: Any) -> None:
        if tile.ready:
            kiosk_app().open_feature(tile.feature_id)

    def _arrange(self, *_args: object) -> None:
        grid = self.ids.grid
        cols, rows = grid_shape(len(self.tiles), grid.width, grid.height)
        grid.cols, grid.rows = cols, rows
