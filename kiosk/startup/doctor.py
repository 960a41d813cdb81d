"""Health checks a maintainer runs on a kiosk: ``kiosk doctor``.

Why this module exists: when a station misbehaves, the person on site is not
a programmer. One command checks the display, the fonts, the camera, the
serial ports, the data directory, the community key, the installed content and the
server, prints a table, and exits
non-zero when something the kiosk cannot run without is broken. Things the
kiosk can live without (no camera: simulated person; server down: records
wait on the kiosk) are warnings, failures only with ``--strict``.
"""

from __future__ import annotations

import glob
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kiosk.config import Config, data_layout

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str


def check_display() -> Check:
    from kiosk.startup.display import has_display

    if has_display():
        import os

        return Check("display", "ok", f"DISPLAY={os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY')}")
    if shutil.which("Xvfb"):
        return Check("display", "warn", "no display attached; `kiosk run` will use a virtual one (Xvfb)")
    return Check("display", "fail", "no display attached and no Xvfb (apt-get install xvfb)")


def check_fonts(cache: Path) -> Check:
    from kiosk.startup.fonts import FontMissingError, find_cjk_fonts

    try:
        fonts = find_cjk_fonts(cache)
    except FontMissingError as exc:
        return Check("fonts", "fail", str(exc))
    return Check("fonts", "ok", str(fonts.regular))


def check_camera(cfg: Config) -> Check:
    source = cfg.camera.source
    if source == "sim":
        return Check("camera", "ok", "simulated person (camera.source = \"sim\")")
    devices = sorted(glob.glob("/dev/v4l/by-id/*")) or sorted(glob.glob("/dev/video*"))
    if source not in ("auto",) and not source.isdigit():
        if Path(source).exists():
            return Check("camera", "ok", source)
        return Check("camera", "fail", f"camera.source {source!r} does not exist")
    if devices:
        return Check("camera", "ok", ", ".join(devices[:4]))
    return Check("camera", "warn", "no camera found; the simulated person will be used")


def check_serial(cfg: Config) -> Check:
    try:
        from serial.tools import list_ports
    except ImportError:  # pragma: no cover - pyserial is a dependency
        return Check("serial ports", "fail", "pyserial is not installed")
    ports = [p.device for p in list_ports.comports()]
    missing = [d.name for d in cfg.sensors.devices
               if d.port and "://" not in d.port and not Path(d.port).exists()]
    if missing:
        return Check("serial ports", "warn",
                     f"configured but not present: {', '.join(missing)}; found: {', '.join(ports) or 'none'}")
    if not ports:
        return Check("serial ports", "warn", "no serial ports found; simulated sensors will be used")
    return Check("serial ports", "ok", ", ".join(ports))


def check_data_dir(cfg: Config) -> Check:
    from kiosk.startup.launch import ensure_writable_dir

    path = data_layout(cfg).root
    try:
        ensure_writable_dir(path)
    except OSError as exc:
        return Check("data directory", "fail", f"{path}: not writable ({exc.strerror or exc})")
    free = shutil.disk_usage(path).free / 1e9
    status: Status = "ok" if free > 0.5 else "warn"
    return Check("data directory", status, f"{path} ({free:.1f} GB free)")


def check_community_key(cfg: Config) -> Check:
    from kiosk.residents.community_key import CommunityKeyError, load_community_key

    path = data_layout(cfg).community_key
    try:
        key = load_community_key(cfg.residents.community_key, path, make_if_missing=False)
    except CommunityKeyError as exc:
        if cfg.residents.community_key or path.exists():
            return Check("community key", "fail", f"{exc}; card logins are off")
        return Check("community key", "warn",
                     f"none provisioned ([residents] community_key or {path}); the kiosk "
                     "will make its own and its card pseudonyms will not match other kiosks")
    return Check("community key", "ok", key.describe())


def check_store(cfg: Config) -> Check:
    """The record store read without changing it: corrupt files, quarantined records."""
    from sync.store import inspect_store

    found = inspect_store(data_layout(cfg).store)
    if not found.exists:
        return Check("store", "ok", found.summary())
    return Check("store", "ok" if found.healthy else "warn", found.summary())
def check_content(cfg: Config) -> Check:
    """Installed bundles and versions, the last check, the last failed install."""
    from content.runtime import doctor_check
    from content.settings import trusted_root_path

    layout = data_layout(cfg)
    found, detail = doctor_check(layout.content)
    status: Status = "fail" if found == "fail" else "ok" if found == "ok" else "warn"
    root = trusted_root_path(cfg.content, layout.content)
    if not root.is_file():
        return Check("content", "fail" if status == "fail" else "warn",
                     f"{detail}; trusted root {root} missing: no bundle can be verified")
    return Check("content", status, detail)


def check_server(cfg: Config, timeout: float = 3.0) -> Check:
    if not cfg.sync.enabled:
        return Check("server", "ok", "sync disabled in config")
    import requests

    url = cfg.sync.server_url.rstrip("/") + "/api/v1/health"
    try:
        resp = requests.get(url, timeout=(timeout, timeout))
    except requests.RequestException as exc:
        return Check("server", "warn",
                     f"{url} not reachable ({type(exc).__name__}); records wait on the kiosk")
    if resp.status_code != 200:
        return Check("server", "warn", f"{url} answered HTTP {resp.status_code}")
    return Check("server", "ok", url)


def run_checks(cfg: Config, cache: Path) -> list[Check]:
    checks: list[Callable[[], Check]] = [
        check_display,
        lambda: check_fonts(cache),
        lambda: check_camera(cfg),
        lambda: check_serial(cfg),
        lambda: check_data_dir(cfg),
        lambda: check_community_key(cfg),
        lambda: check_store(cfg),
        lambda: check_content(cfg),
        lambda: check_server(cfg),
    ]
    out = []
    for fn in checks:
        try:
            out.append(fn())
        except Exception as exc:  # a check that crashes is itself a finding
            out.append(Check(getattr(fn, "__name__", "check"), "fail", f"check crashed: {exc!r}"))
    return out


def format_table(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    marks = {"ok": "OK  ", "warn": "WARN", "fail": "FAIL"}
    lines = [f"{'check'.ljust(width)}  state  detail", f"{'-' * width}  -----  ------"]
    lines += [f"{c.name.ljust(width)}  {marks[c.status]}   {c.detail}" for c in checks]
    return "\n".join(lines)
