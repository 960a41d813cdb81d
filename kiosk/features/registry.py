"""What a feature declares, and how the kiosk finds the features: one folder each.

Why this module exists: a new part of the station (lessons, fitness tests, a
community board) must be one folder under ``kiosk/features/`` and nothing
else, the way Home Assistant integrations are. Each folder's ``__init__.py``
holds one ``FEATURE = Feature(...)`` declaration: its id (the folder name),
its home tile (title, subtitle, icon, colour, order), its screens (each a
class named by ``"module:Class"`` and its kv files, loaded and built on the
first visit, like Kivy's showcase does) and the services it needs.

This module is Kivy-free: the config check, the catalogue test and the CLI
read the declarations without a window. Only the shell imports the screen
modules, lazily.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType

from kiosk.services.base import SERVICE_NAMES, ServiceName

RGBA = tuple[float, float, float, float]
SHELL_SCREENS = frozenset({"attract", "home"})
"""Screens the shell itself owns; no feature may use these names."""
MAX_TILES = 8
"""The home grid is laid out for 1 to 8 tiles."""

_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_FACTORY = re.compile(r"^\.?[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class FeatureError(ValueError):
    """A feature folder whose declaration is missing or wrong; the message names the folder."""


@dataclass(frozen=True)
class ScreenDecl:
    """One screen of a feature."""

    name: str
    """The screen's name for navigation (``app.go(name)``); unique across features."""
    factory: str
    """``"module:Class"``; a module starting with ``.`` is inside the feature's folder."""
    title: str
    """A msgid for the top bar (mark it with ``N_``)."""
    kv: tuple[str, ...] = ()
    """kv files in the feature's folder, loaded before the screen is first built."""
    back_returns: bool = True
    """False for screens "back" must skip (going back into them would restart what ended)."""


@dataclass(frozen=True)
class Feature:
    """One feature's declaration (``FEATURE`` in its folder's ``__init__.py``)."""

    id: str
    """Equal to the folder name; what ``[home] features`` lists."""
    title: str
    """The home tile's title (a msgid, marked with ``N_``)."""
    subtitle: str
    """The home tile's second line (a msgid)."""
    icon: str
    """One glyph drawn large on the tile (it must be in the CJK font; the glyph test checks)."""
    colour: RGBA
    """The tile's colour in the normal palette (high contrast draws every tile alike)."""
    order: int
    """Position on the home screen when the config does not give one (low first)."""
    screens: tuple[ScreenDecl, ...]
    """The first is where the tile leads."""
    services: tuple[ServiceName, ...] = ()
    """Services the feature cannot work without; without them its tile says so."""
    tile: bool = True
    """False for a feature reached another way (maintainer mode: the hidden gesture)."""
    attract: str = ""
    """``"module:function"`` giving slides for the attract screen's loop
    (``kiosk.features.slides.SlideSource``), imported only after the first frame; "" for none."""
    package: str = field(default="", compare=False)
    """Filled in by discovery: the feature's package (for relative factories and kv files)."""
    folder: Path | None = field(default=None, compare=False)

    @property
    def entry(self) -> str:
        """The screen the tile opens."""
        return self.screens[0].name

    def kv_paths(self, screen: ScreenDecl) -> list[Path]:
        assert self.folder is not None, "feature not discovered"
        return [self.folder / name for name in screen.kv]

    def factory_target(self, screen: ScreenDecl) -> tuple[str, str]:
        """(absolute module name, class name) of a screen's factory."""
        return self.resolve(screen.factory)

    def resolve(self, target: str) -> tuple[str, str]:
        """(absolute module name, attribute) of a ``"module:name"`` of this feature."""
        module, _, name = target.partition(":")
        if module.startswith("."):
            module = self.package + module
        return module, name


def _check(feature: object, folder: str, path: Path) -> Feature:
    if not isinstance(feature, Feature):
        raise FeatureError(f"feature folder {folder!r}: __init__.py must define "
                           "FEATURE = Feature(...) (see kiosk/features/registry.py)")
    problems: list[str] = []
    if feature.id != folder:
        problems.append(f"id {feature.id!r} must equal the folder name")
    if not _ID.match(feature.id):
        problems.append("id must be lower-case letters, digits and '_'")
    if not feature.screens:
        problems.append("declares no screens")
    if not feature.title or not feature.icon:
        problems.append("needs a title and an icon")
    if len(feature.colour) != 4 or not all(0.0 <= c <= 1.0 for c in feature.colour):
        problems.append(f"colour {feature.colour!r} must be four numbers from 0 to 1")
    for svc in feature.services:
        if svc not in SERVICE_NAMES:
            problems.append(f"unknown service {svc!r} (known: {', '.join(SERVICE_NAMES)})")
    for s in feature.screens:
        if s.name in SHELL_SCREENS:
            problems.append(f"screen name {s.name!r} belongs to the shell")
        if not _FACTORY.match(s.factory):
            problems.append(f"screen {s.name!r}: factory {s.factory!r} is not 'module:Class'")
        for kv in s.kv:
            if not (path / kv).is_file():
                problems.append(f"screen {s.name!r}: kv file {kv!r} not found in the folder")
    if feature.attract and not _FACTORY.match(feature.attract):
        problems.append(f"attract {feature.attract!r} is not 'module:function'")
    if problems:
        raise FeatureError(f"feature folder {folder!r}: " + "; ".join(problems))
    return feature


def discover(package: ModuleType | None = None) -> list[Feature]:
    """Every feature folder in ``package`` (default ``kiosk.features``), in declared order.

    Raises ``FeatureError`` naming the folder when a declaration is missing or
    wrong, or when two features claim the same screen name.
    """
    if package is None:
        package = importlib.import_module("kiosk.features")
    found: list[Feature] = []
    for info in pkgutil.iter_modules(package.__path__):
        if not info.ispkg or info.name.startswith("_"):
            continue
        name = f"{package.__name__}.{info.name}"
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # a broken folder is named, not a traceback
            raise FeatureError(f"feature folder {info.name!r} cannot be imported: {exc}") from exc
        folder = Path(module.__file__ or "").parent
        feature = _check(getattr(module, "FEATURE", None), info.name, folder)
        found.append(_with_origin(feature, name, folder))
    _check_unique_screens(found)
    return sorted(found, key=lambda f: (f.order, f.id))


def _with_origin(feature: Feature, package: str, folder: Path) -> Feature:
    return replace(feature, package=package, folder=folder)


def _check_unique_screens(features: Iterable[Feature]) -> None:
    owner: dict[str, str] = {}
    for f in features:
        for s in f.screens:
            if s.name in owner:
                raise FeatureError(f"feature folder {f.id!r}: screen name {s.name!r} is "
                                   f"already used by feature {owner[s.name]!r}")
            owner[s.name] = f.id


def tile_ids(features: Iterable[Feature]) -> list[str]:
    return [f.id for f in features if f.tile]


def home_features(features: list[Feature], chosen: list[str] | None) -> list[Feature]:
    """The tiles on the home screen: ``chosen`` (the config's order), else every tile
    feature in declared order, at most ``MAX_TILES``. ``chosen`` is validated by the config."""
    by_id = {f.id: f for f in features if f.tile}
    if chosen is None:
        return list(by_id.values())[:MAX_TILES]
    return [by_id[i] for i in chosen if i in by_id]
