"""The config file's sections and keys, with their defaults and limits.

Why this module exists: a kiosk is set up by maintainers who are not
programmers. Every section is a pydantic model with ``extra="forbid"``, so a
typo is an error naming the key (``kiosk/config/loading.py`` adds the line),
and every limit is written once, here. ``config.example.toml`` documents the
same keys and a test keeps the two equal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from content.settings import ContentSection

if TYPE_CHECKING:
    from kiosk.system.hours import OpeningHours


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class KioskSection(_Section):
    """Identity and the resident-facing shell."""

    id: str = Field(default="kiosk-local", min_length=1, max_length=64)
    language: Literal["zh_CN", "en"] = "zh_CN"
    large_text: bool = False
    idle_timeout_s: Annotated[float, Field(ge=5, le=3600)] = 90.0
    walk_away_s: Annotated[float, Field(ge=3, le=3600)] = 30.0
    """On a screen that uses the camera: nobody seen (and no touch) this long ends the visit."""
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


class HomeSection(_Section):
    """The home screen's tiles: one per feature folder under ``kiosk/features/``."""

    features: list[str] | None = None
    """Feature ids in the order their tiles appear; omit for every installed feature
    in its declared order."""

    @field_validator("features")
    @classmethod
    def _known_features(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        from kiosk.features.registry import MAX_TILES, FeatureError, discover

        try:
            features = discover()
        except FeatureError:
            return v  # the start-up names the broken folder itself
        tiles = [f.id for f in features if f.tile]
        other = {f.id for f in features if not f.tile}
        problems = []
        for name in v:
            if name in other:
                problems.append(f"{name!r} has no home tile")
            elif name not in tiles:
                problems.append(f"unknown feature {name!r}")
        dup = sorted({n for n in v if v.count(n) > 1})
        if dup:
            problems.append(f"listed twice: {', '.join(dup)}")
        if not 1 <= len(v) <= MAX_TILES:
            problems.append(f"give 1 to {MAX_TILES} features")
        if problems:
            raise ValueError("; ".join(problems) + f" (features with a tile: {', '.join(tiles)})")
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
    card_hold_s: Annotated[float, Field(ge=0.2, le=10)] = 1.5
    """A card must be away this long before the same card counts as a new tap."""

    @model_validator(mode="before")
    @classmethod
    def _no_card_salt(cls, data: object) -> object:
        if isinstance(data, dict) and "card_salt" in data:
            raise ValueError("sensors.card_salt was replaced by [residents] community_key, "
                             "which is the same on every kiosk of the community")
        return data

    @field_validator("devices")
    @classmethod
    def _unique_names(cls, v: list[SensorDevice]) -> list[SensorDevice]:
        names = [d.name for d in v]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"device names must be unique: {', '.join(dup)}")
        return v


class ResidentsSection(_Section):
    """Who uses the kiosk: card and number-code logins under the community's pseudonyms."""

    community_key: str = ""
    """The secret every kiosk of the community shares (card pseudonyms are HMACs under it);
    empty = the file ``<data dir>/community-key``, made on a developer's kiosk if missing."""
    pin_tries: Annotated[int, Field(ge=1, le=10)] = 3
    """Wrong PINs in a row before a number code is locked on this kiosk."""
    pin_lock_s: Annotated[float, Field(ge=10, le=86400)] = 300.0
    """How long a number code stays locked after too many wrong PINs."""
    keypad_tries: Annotated[int, Field(ge=3, le=100)] = 10
    """Wrong PINs (any codes) within ``pin_lock_s`` before the whole keypad is locked."""

    @field_validator("community_key")
    @classmethod
    def _strong(cls, v: str) -> str:
        from kiosk.residents.community_key import weakness

        problem = weakness(v) if v else None
        if problem:
            raise ValueError(f"too weak: {problem}")
        return v


class FitnessSection(_Section):
    """The camera-scored fitness tests."""

    min_spo2: Annotated[int, Field(ge=70, le=100)] = 90
    """With a pulse oximeter attached, the step test does not start below this SpO2 (%)."""
    stop_after_s: Annotated[float, Field(ge=1, le=30)] = 3.0
    """A test stops itself when the person has left the picture (or the test's pose) this long."""
    up_and_go: bool = True
    """Offer the up-and-go: the camera sees the 8-foot path beside the chair."""


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


class HoursSection(_Section):
    """Opening hours: outside them the screen sleeps and the camera is closed.

    ``open``/``close`` are local times ("06:00", "21:30"); a ``close`` before
    ``open`` runs past midnight. Both empty (the default) = always open."""

    open: str = ""
    close: str = ""
    closed_days: list[str] = Field(default_factory=list)
    """Days the kiosk stays closed all day: "mon" ... "sun"."""
    touch_opens: bool = False
    """Outside the hours, a touch opens the kiosk for one visit instead of only showing
    when it opens."""
    notice_s: Annotated[float, Field(ge=3, le=600)] = 20.0
    """How long the "closed, open at 6:00" notice shows after a touch."""
    screen_off_command: str = ""
    screen_on_command: str = ""
    """Commands that switch the screen off and on (e.g. ``wlopm --off '*'`` under cage);
    empty = ``xset`` on an X server, else the app's own black screen."""

    @field_validator("open", "close")
    @classmethod
    def _time_of_day(cls, v: str) -> str:
        from kiosk.system.hours import parse_hhmm

        if v:
            parse_hhmm(v)  # ValueError names the value and the form wanted
        return v

    @field_validator("closed_days")
    @classmethod
    def _days(cls, v: list[str]) -> list[str]:
        from kiosk.system.hours import DAYS

        bad = [d for d in v if d.strip().lower()[:3] not in DAYS or len(d.strip()) < 3]
        if bad:
            raise ValueError(f"not a day: {', '.join(repr(d) for d in bad)} "
                             f"(use {', '.join(DAYS)})")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> HoursSection:
        self.opening_hours()  # both or neither, not equal, not closed every day
        if bool(self.screen_off_command) != bool(self.screen_on_command):
            raise ValueError("give both screen_off_command and screen_on_command, or neither")
        return self

    def opening_hours(self) -> OpeningHours:
        """The hours as :class:`kiosk.system.hours.OpeningHours` (ValueError if inconsistent)."""
        from kiosk.system.hours import OpeningHours

        return OpeningHours.parse(self.open, self.close, self.closed_days)


class LoggingSection(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_bytes: Annotated[int, Field(ge=10_000)] = 2_000_000
    backups: Annotated[int, Field(ge=0, le=50)] = 5


class Config(_Section):
    kiosk: KioskSection = Field(default_factory=KioskSection)
    home: HomeSection = Field(default_factory=HomeSection)
    maintainer: MaintainerSection = Field(default_factory=MaintainerSection)
    camera: CameraSection = Field(default_factory=CameraSection)
    vision: VisionSection = Field(default_factory=VisionSection)
    sensors: SensorsSection = Field(default_factory=SensorsSection)
    residents: ResidentsSection = Field(default_factory=ResidentsSection)
    fitness: FitnessSection = Field(default_factory=FitnessSection)
    store: StoreSection = Field(default_factory=StoreSection)
    sync: SyncSection = Field(default_factory=SyncSection)
    voice: VoiceSection = Field(default_factory=VoiceSection)
    hours: HoursSection = Field(default_factory=HoursSection)
    content: ContentSection = Field(default_factory=ContentSection)
    """Lessons and content bundles: the trusted root, the repository, USB sticks
    (defined next to the code that uses it, in ``content/settings.py``)."""
    logging: LoggingSection = Field(default_factory=LoggingSection)

    source: str = Field(default="<embedded defaults>", exclude=True)
