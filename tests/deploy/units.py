"""Read systemd unit files the way the tests need: keys per section, in order, repeats kept."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Unit:
    sections: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def get_all(self, section: str, key: str) -> list[str]:
        return [v for k, v in self.sections.get(section, []) if k == key]

    def get(self, section: str, key: str, default: str = "") -> str:
        values = self.get_all(section, key)
        return values[-1] if values else default

    def environment(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for line in self.get_all("Service", "Environment"):
            for item in shlex.split(line):
                name, _, value = item.partition("=")
                env[name] = value
        return env

    def command(self, key: str) -> list[list[str]]:
        """The command lines of ``ExecStart``/``ExecStartPre`` (prefix characters dropped)."""
        return [shlex.split(v.lstrip("-@:+!")) for v in self.get_all("Service", key)]


def parse_unit(path: Path) -> Unit:
    unit = Unit()
    section = ""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            unit.sections.setdefault(section, [])
            continue
        key, _, value = line.partition("=")
        unit.sections.setdefault(section, []).append((key.strip(), value.strip()))
    return unit
