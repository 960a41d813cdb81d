"""Every text the manager pages can show, for the catalogue tests (and to list missing ones).

``python -m tests.web.catalogue`` prints the message ids missing from each catalogue.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import sync.server.web as web_pkg
from sync.server.web import figures, i18n
from sync.server.web.norms import BANDS

WEB = Path(web_pkg.__file__).parent
CALL = re.compile(r"""\b_\(\s*(['"])(.+?)\1""")
ERRORS = re.compile(r"""\b(?:Forbidden|BadRequest|LoginRequired)\(\s*"([^"]+)"\s*\)""")
PART_AREAS = ("camera", "sensors", "store", "sync", "content")
EXTRA = {"new", "Female", "Male", "Unknown", "unit:reps", "unit:s"}


def used_msgids() -> set[str]:
    from sync.server.web import include_web  # noqa: F401 - importing routes registers NAV
    from sync.server.web.community_forms import METRICS
    from sync.server.web.community_pages import TABS
    from sync.server.web.pages import NAV
    from sync.server.web.routes import (  # noqa: F401 - their msgids count
        announcements,
        challenges,
        events,
        export,
        feedback,
        fleet,
        lessons,
        login,
        overview,
        polls,
        report,
    )
    from sync.server.web.routes.fleet import SORTS as FLEET_SORTS
    from sync.server.web.routes.lessons import SORTS as LESSON_SORTS

    found: set[str] = set(EXTRA)
    for path in list(WEB.rglob("*.html")) + list(WEB.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        found |= {m.group(2) for m in CALL.finditer(text)}
        found |= {m.group(1) for m in ERRORS.finditer(text)}
    found |= {n.msgid for n in NAV}
    found |= {m.msgid for m in figures.METRICS}
    for p in figures.periods_for(__import__("datetime").date(2026, 1, 1)):
        found |= {p.msgid, p.previous_msgid}
    found |= {f"sort:{s}" for s in (*FLEET_SORTS, *LESSON_SORTS)}
    found |= {f"band:{b}" for b in BANDS}
    from kiosk.services.base import State

    found |= {f"state:{s}" for s in typing.get_args(State)}
    found |= set(PART_AREAS)
    found |= set(export.KIND_MSGIDS.values())
    found |= {f"item:{s}" for s in ("upcoming", "running", "ended")}
    found |= {f"metric:{m}" for m in METRICS}
    found |= {f"scope:{s}" for s in ("community", "kiosks", "team")}
    found |= {f"feedback:{s}" for s in feedback.STATES}
    found |= {t.msgid for t in TABS}
    found |= {"no such item", "no such feedback", "no picture"}
    return {m for m in found if m and not m.endswith(":")}


def missing(lang: str) -> list[str]:
    entries = i18n.parse_po(i18n.po_path(lang).read_text(encoding="utf-8"))
    return sorted(used_msgids() - set(entries))


if __name__ == "__main__":
    for lang in i18n.LANGUAGES:
        print(f"# {lang}: {len(missing(lang))} missing")
        for m in missing(lang):
            print(m)
