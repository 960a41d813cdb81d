"""Kiosk configuration: one TOML file, validated at start.

Why this module exists: a kiosk is set up by maintainers who are not
programmers. A typo in the config must stop the kiosk at start with a message
that names the key and the line, never a traceback and never a silently
ignored setting. Every section is a pydantic model with ``extra="forbid"``;
``load_config`` collects *all* problems and raises one ``ConfigError``.

The location is, in order: ``--config PATH``, the ``KIOSK_CONFIG``
environment variable, then ``config.toml`` in the platform's user config
directory. A missing default file means "embedded defaults"; a missing file
that was asked for explicitly is an error.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

ENV_VAR = "KIOSK_CONFIG"
APP_NAME = "community-kiosk"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class KioskSection(_Section):
    """Identity and the resident-facing shell."""

    id: str = Field(default="kiosk-local", min_length=1, max_length=64)
    language: Literal["zh_CN", "en"] = "zh_CN"
    large_text: bool = False
    idle_timeout_s: Annotated[float, Field(ge=5, le=3600)] = 90.0
    fullscreen: bool = False
    window_size: tuple[int, int] = Field(default=(1280, 800), strict=False)
    data_dir: str = ""
    """Where the store, logs and installed content live; empty = platform default."""

    @field_validator("window_size")
    @classmethod
    def _sane_size(cls, v: tuple[int, int]) -> tuple[int, int]:
        w, h = v
        if not (320 <= w <= 7680 and 320 <= h <= 7680):
            raise ValueError("each side must be between 320 and 7680 pixels")
        return v


class MaintainerSection(_Section):
    """The hidden maintainer mode: long-press a corner, then a PIN."""

    pin: str = Field(default="2468", pattern=r"^[0-9]{4,8}$")
    long_press_s: Annotated[float, Field(ge=1, le=10)] = 3.0


class CameraSection(_Section):
    """Where frames come from. ``auto`` uses a camera if one is found, else the simulated person."""

    source: str = "auto"
    """``auto``, ``sim``, a ``/dev/v4l/by-id/...`` or ``/dev/videoN`` path, a camera index, or a video file."""
    width: Annotated[int, Field(ge=160, le=3840)] = 640
    height: Annotated[int, Field(ge=120, le=2160)] = 480
    mirror: bool = True
    reopen_interval_s: Annotated[float, Field(ge=0.2, le=60)] = 1.0
    """How often an unplugged camera is looked for again."""


class VisionSection(_Section):
    model_complexity: Literal[0, 1, 2] = 1
    exercises_dir: str = ""
    """Extra exercise definitions (on top of the built-in ones); empty = none."""
    second_person_every: Annotated[int, Field(ge=0, le=300)] = 15
    """Look for a second person in the picture every N frames (0 = never)."""


class SensorDevice(_Section):
    name: str = Field(min_length=1, max_length=40)
    driver: Literal["rdm6300", "cms50d", "scale", "station"]
    port: str = ""
    """A ``/dev/serial/by-id/...`` path, a port name, or a pyserial URL."""
    vid_pid: str = Field(default="", pattern=r"^$|^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}$")
    serial_number: str = ""
    baudrate: Annotated[int, Field(ge=300, le=4_000_000)] | None = None
    """Omit for the driver's default (rdm6300 9600, cms50d 19200, scale 9600, station 115200)."""
    parity: Literal["", "N", "E", "O"] = ""
    """Empty for the driver's default (cms50d odd, others none)."""

    @model_validator(mode="after")
    def _somewhere(self) -> SensorDevice:
        if not self.port and not self.vid_pid:
            raise ValueError("give a port (path, name or URL) or a vid_pid")
        return self


class SensorsSection(_Section):
    simulate: Literal["auto", "always", "never"] = "auto"
    """``auto``: simulated sensors when no configured device is present."""
    devices: list[SensorDevice] = Field(default_factory=list)
    card_salt: str = ""
    """Secret mixed into the pseudonymous ID made from a card number; empty = a random
    one generated once and kept in ``<data dir>/sensors/card-salt``."""
    card_hold_s: Annotated[float, Field(ge=0.2, le=10)] = 1.5
    """A card must be away this long before the same card counts as a new tap."""

    @field_validator("devices")
    @classmethod
    def _unique_names(cls, v: list[SensorDevice]) -> list[SensorDevice]:
        names = [d.name for d in v]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"device names must be unique: {', '.join(dup)}")
        return v


class StoreSection(_Section):
    retention_days: Annotated[int, Field(ge=1, le=3650)] = 365
    """Synced records older than this are pruned (unsynced ones are always kept)."""
    segment_size: Annotated[int, Field(ge=16, le=10_000)] = 256
    """Records per store file; bounds the cost of one save."""


class SyncSection(_Section):
    enabled: bool = True
    server_url: str = Field(default="http://127.0.0.1:8765", pattern=r"^https?://\S+$")
    token: str = ""
    interval_s: Annotated[float, Field(ge=1, le=86400)] = 60.0
    batch_size: Annotated[int, Field(ge=1, le=1000)] = 200
    connect_timeout_s: Annotated[float, Field(gt=0, le=120)] = 5.0
    read_timeout_s: Annotated[float, Field(gt=0, le=600)] = 30.0
    ca_bundle: str = ""
    token_file: str = ""
    """Read the token from this file when ``token`` is empty; empty = ``<data dir>/sync-token``."""
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 6
    backoff_base_s: Annotated[float, Field(gt=0, le=600)] = 1.0
    backoff_max_s: Annotated[float, Field(gt=0, le=3600)] = 120.0


class VoiceSection(_Section):
    enabled: bool = True


class LoggingSection(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_bytes: Annotated[int, Field(ge=10_000)] = 2_000_000
    backups: Annotated[int, Field(ge=0, le=50)] = 5


class Config(_Section):
    kiosk: KioskSection = Field(default_factory=KioskSection)
    maintainer: MaintainerSection = Field(default_factory=MaintainerSection)
    camera: CameraSection = Field(default_factory=CameraSection)
    vision: VisionSection = Field(default_factory=VisionSection)
    sensors: SensorsSection = Field(default_factory=SensorsSection)
    store: StoreSection = Field(default_factory=StoreSection)
    sync: SyncSection = Field(default_factory=SyncSection)
    voice: VoiceSection = Field(default_factory=VoiceSection)
    logging: LoggingSection = Field(default_factory=LoggingSection)

    source: str = Field(default="<embedded defaults>", exclude=True)


@dataclass(frozen=True)
class ConfigProblem:
    key: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "no line"
        return f"  {self.key} ({where}): {self.message}"


class ConfigError(Exception):
    """Raised with every problem found in a config file."""

    def __init__(self, path: str, problems: Iterable[ConfigProblem]):
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"Configuration error in {path}:\n{lines}")


def default_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME)) / "config.toml"


def resolve_config_path(cli_path: str | None) -> tuple[Path, bool]:
    """Return the path to read and whether it was asked for explicitly."""
    if cli_path:
        return Path(cli_path), True
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env), True
    return default_config_path(), False


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")


def key_lines(text: str) -> dict[str, int]:
    """Map dotted key paths (``sync.batch_size``) to the 1-based line defining them.

    Arrays of tables get an index: ``sensors.devices.0.driver``. Good enough for
    error messages; tomllib itself does not report positions.
    """
    out: dict[str, int] = {}
    prefix: list[str] = []
    aot_count: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        m = _HEADER.match(line)
        if m and not line.lstrip().startswith("#"):
            name = m.group(1).strip()
            parts = [p.strip().strip("\"'") for p in name.split(".")]
            if line.lstrip().startswith("[["):
                key = ".".join(parts)
                idx = aot_count.get(key, 0)
                aot_count[key] = idx + 1
                parts = parts + [str(idx)]
            prefix = parts
            out.setdefault(".".join(prefix), n)
            continue
        k = _KEY.match(line)
        if k:
            name = k.group(1).strip("\"'")
            out.setdefault(".".join(prefix + name.split(".")), n)
    return out


def _toml_error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else None


def parse_config(text: str, source: str = "<string>") -> Config:
    """Parse and validate config text; raise ``ConfigError`` listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            source, [ConfigProblem("<file>", _toml_error_line(exc), f"not valid TOML: {exc}")]
        ) from None
    lines = key_lines(text)
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            line = _line_for(loc, lines)
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling; see config.example.toml)"
            elif "input" in err and err["type"] not in ("missing",):
                msg = f"{msg} (got {err['input']!r})"
            problems.append(ConfigProblem(loc or "<file>", line, msg))
        raise ConfigError(source, problems) from None
    return cfg.model_copy(update={"source": source})


def _line_for(loc: str, lines: dict[str, int]) -> int | None:
    parts = loc.split(".")
    while parts:
        key = ".".join(parts)
        if key in lines:
            return lines[key]
        parts.pop()
    return None


def load_config(cli_path: str | None = None) -> Config:
    """Find, read and validate the config. Missing default file -> embedded defaults."""
    path, explicit = resolve_config_path(cli_path)
    if not path.exists():
        if explicit:
            raise ConfigError(str(path), [ConfigProblem("<file>", None, "file not found")])
        return Config()
    if path.is_dir():
        raise ConfigError(str(path), [ConfigProblem("<file>", None, "is a directory, not a file")])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(path), [ConfigProblem("<file>", None, f"not UTF-8 text: {exc.reason}")]
        ) from None
    except OSError as exc:
        raise ConfigError(str(path), [ConfigProblem("<file>", None, exc.strerror or str(exc))]) from None
    return parse_config(text, str(path))


def data_dir(cfg: Config) -> Path:
    """The writable directory for store, logs and content."""
    if cfg.kiosk.data_dir:
        return Path(cfg.kiosk.data_dir).expanduser()
    env = os.environ.get("KIOSK_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME))
