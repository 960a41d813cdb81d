"""The central server's configuration file (TOML), validated at start.

Why this module exists: an installed server (``make install-server``) runs
as a systemd service and is configured by a file under ``/etc``, not by
command-line flags a maintainer would have to edit in a unit. The file says
where to listen, how many worker processes to run, which database to use,
where the TLS certificate is and where backups go. Like the kiosk's config,
a typo stops the server at start with the key and the line named (every
section forbids unknown keys), never a traceback.

The file is found at ``--config PATH``, else ``$KIOSK_SERVER_CONFIG``; with
neither, the embedded defaults apply (127.0.0.1:8765, one process, the
database from ``--db`` / ``$KIOSK_SERVER_DB`` / a SQLite file), which is what
a developer's ``kiosk-server run`` has always done.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

CONFIG_ENV = "KIOSK_SERVER_CONFIG"
"""Environment variable naming the config file (the systemd unit sets it)."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ServerSection(_Section):
    host: str = Field(default=DEFAULT_HOST, min_length=1)
    port: Annotated[int, Field(ge=1, le=65535)] = DEFAULT_PORT
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    """uvicorn worker processes; each has its own database pool."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    access_log: bool = False
    forwarded_allow_ips: str = ""
    """Addresses of a reverse proxy whose X-Forwarded-* headers are trusted ("" = none)."""


class DatabaseSection(_Section):
    url: str = ""
    """``postgresql://user@/db?host=/var/run/postgresql`` or ``sqlite:///path``; "" = the default."""
    pool_size: Annotated[int, Field(ge=1, le=200)] = 10
    """Connections kept open per worker process."""


class TlsSection(_Section):
    certfile: str = ""
    """PEM certificate (chain); "" = plain HTTP (behind a TLS proxy, or on loopback only)."""
    keyfile: str = ""

    @model_validator(mode="after")
    def _both_or_neither(self) -> TlsSection:
        if bool(self.certfile) != bool(self.keyfile):
            raise ValueError("give both certfile and keyfile, or neither")
        return self


class BackupSection(_Section):
    dir: str = "/var/backups/community-kiosk-server"
    keep_days: Annotated[int, Field(ge=1, le=3650)] = 14
    """Dumps older than this are deleted after a successful backup..."""
    keep_min: Annotated[int, Field(ge=1, le=1000)] = 3
    """...but the newest ``keep_min`` dumps are always kept, however old."""


class WebSection(_Section):
    """The manager pages (``sync.server.web``)."""

    timezone: str = "Asia/Shanghai"
    """The communities' time zone: what "today" and "this month" mean on the pages."""
    stale_after_min: Annotated[float, Field(gt=0, le=7 * 24 * 60)] = 30.0
    """The fleet page marks a kiosk silent for longer than this as stale."""
    secure_cookies: Literal["auto", "always", "never"] = "auto"
    """Secure flag of the session cookie; auto: when the request came over HTTPS."""

    @model_validator(mode="after")
    def _known_zone(self) -> WebSection:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r} (e.g. Asia/Shanghai)") from None
        return self


class ServerSettings(_Section):
    server: ServerSection = Field(default_factory=ServerSection)
    database: DatabaseSection = Field(default_factory=DatabaseSection)
    tls: TlsSection = Field(default_factory=TlsSection)
    backup: BackupSection = Field(default_factory=BackupSection)
    web: WebSection = Field(default_factory=WebSection)

    source: str = Field(default="<embedded defaults>", exclude=True)


class SettingsError(Exception):
    """Every problem found in a server config file, one per line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"Configuration error in {source}:\n" + "\n".join(problems))


def parse_settings(text: str, source: str = "<string>") -> ServerSettings:
    """Parse and validate config text; raise :class:`SettingsError` naming every bad key."""
    from kiosk.config import key_lines

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(source, [f"  <file>: not valid TOML: {exc}"]) from None
    lines = key_lines(text)
    try:
        settings = ServerSettings.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in err["loc"]) or "<file>"
            line = _line_for(loc, lines)
            where = f"line {line}" if line else "no line"
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling; see deploy/server.toml)"
            elif err["type"] != "missing" and "input" in err:
                msg = f"{msg} (got {err['input']!r})"
            problems.append(f"  {loc} ({where}): {msg}")
        raise SettingsError(source, problems) from None
    return settings.model_copy(update={"source": source})


def _line_for(loc: str, lines: dict[str, int]) -> int | None:
    parts = loc.split(".")
    while parts:
        found = lines.get(".".join(parts))
        if found is not None:
            return found
        parts.pop()
    return None


def load_settings(path: str | os.PathLike[str] | None = None) -> ServerSettings:
    """The settings from ``path``, else ``$KIOSK_SERVER_CONFIG``, else the embedded defaults."""
    chosen = str(path) if path else os.environ.get(CONFIG_ENV, "")
    if not chosen:
        return ServerSettings()
    p = Path(chosen)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(chosen, ["  <file>: file not found"]) from None
    except IsADirectoryError:
        raise SettingsError(chosen, ["  <file>: is a directory, not a file"]) from None
    except UnicodeDecodeError as exc:
        raise SettingsError(chosen, [f"  <file>: not UTF-8 text: {exc.reason}"]) from None
    except OSError as exc:
        raise SettingsError(chosen, [f"  <file>: {exc.strerror or exc}"]) from None
    return parse_settings(text, chosen)
