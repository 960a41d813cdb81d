"""Reading the kiosk's config file: found, parsed and validated at start.

Why this module exists: a typo in the config must stop the kiosk at start
with a message that names the key and the line, never a traceback and never a
silently ignored setting. ``load_config`` collects *all* problems and raises
one ``ConfigError``.

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

from pydantic import ValidationError

from kiosk.config.data_layout import APP_NAME, DataLayout, default_data_dir
from kiosk.config.schema import Config

ENV_VAR = "KIOSK_CONFIG"


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


def data_layout(cfg: Config) -> DataLayout:
    """The places under the writable data directory: ``kiosk.data_dir`` when set, else
    ``$KIOSK_DATA_DIR``, else the user data directory."""
    if cfg.kiosk.data_dir:
        return DataLayout(Path(cfg.kiosk.data_dir).expanduser())
    return DataLayout(default_data_dir())
