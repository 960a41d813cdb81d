"""The page framework: state, login and CSRF dependencies, community scope, templates, menu.

Why this module exists: every manager page (the dashboard's and later ones:
challenges, events, polls) needs the same things, and each must get them
right: a page is served only to a logged-in manager (else a redirect to the
login page, with no data in the body); a form that changes anything carries
the session's CSRF token (checked for every unsafe method of every router
made by :func:`web_router`, together with the Origin header); a manager sees
only the communities they may (:func:`resolve_community` refuses another
community's name with 403); texts are translated into the manager's
language; responses carry security headers and are not cached.

A new area adds a router made with :func:`web_router`, its templates (in
``templates/`` or a folder passed to :func:`add_template_dir`) extending
``base.html``, and a menu entry with :func:`register_nav`.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from sqlalchemy import select

from sync.server.db import Database
from sync.server.tables import kiosks, managers
from sync.server.web import auth, privacy
from sync.server.web.aggregates import ALL
from sync.server.web.i18n import LANGUAGE_NAMES, LANGUAGES, Translate, negotiate, translator
from sync.server.web.settings import WebSettings

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

SESSION_COOKIE = "kiosk_manager"
LOGIN_CSRF_COOKIE = "kiosk_login_csrf"
LANG_COOKIE = "kiosk_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_FORM_BYTES = 64 * 1024
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


# --- errors the pages raise -----------------------------------------------------------


class PageError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class LoginRequired(PageError):
    status = 401


class Forbidden(PageError):
    status = 403


class BadRequest(PageError):
    status = 400


# --- state ----------------------------------------------------------------------------


@dataclass
class WebState:
    db: Database
    settings: WebSettings
    key: bytes

    @property
    def limits(self) -> auth.Limits:
        s = self.settings
        return auth.Limits(
            s.account_max_failures, s.address_max_failures, s.failure_window_s, s.lockout_s
        )


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- login and CSRF -------------------------------------------------------------------


def current_session(request: Request) -> auth.LoginSession | None:
    if getattr(request.state, "login_checked", False):
        found: auth.LoginSession | None = request.state.login
        return found
    state = web_state(request)
    found = None
    raw = request.cookies.get(SESSION_COOKIE)
    sid = auth.unsign(state.key, raw) if raw else None
    if sid:
        found = auth.find_session(state.db.engine, sid, state.settings.now().timestamp())
    request.state.login = found
    request.state.login_checked = True
    return found


def require_login(request: Request) -> auth.LoginSession:
    found = current_session(request)
    if found is None:
        raise LoginRequired("please log in")
    return found


Login = Annotated[auth.LoginSession, Depends(require_login)]


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site (Origin header)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not sent by browsers' same-origin GETs or non-browser clients
    if origin == "null":
        return False
    parts = urlsplit(origin)
    return parts.netloc == request.headers.get("host", "") and parts.scheme in ("http", "https")


async def csrf_protect(request: Request) -> None:
    """For every unsafe method: same origin, a bounded form, and the right CSRF token."""
    await _csrf_check(request, MAX_FORM_BYTES)


def csrf_protect_upload(max_bytes: int) -> Callable[[Request], Awaitable[None]]:
    """:func:`csrf_protect` for forms that carry a file (up to ``max_bytes`` in all)."""

    async def protect(request: Request) -> None:
        await _csrf_check(request, max_bytes)

    return protect


async def _csrf_check(request: Request, max_bytes: int) -> None:
    if request.method in SAFE_METHODS:
        return
    if not same_origin(request):
        raise Forbidden("the request came from another site")
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > max_bytes:
        if max_bytes == MAX_FORM_BYTES:
            raise BadRequest("a form must declare its length and stay under 64 KB")
        raise BadRequest("a form with a file must declare its length and stay under 3 MB")
    form = await request.form(max_part_size=max_bytes)
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = expected_csrf(request)
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise Forbidden("the form's security token is missing or out of date; reload the page")


def expected_csrf(request: Request) -> str | None:
    if request.url.path == "/login":
        raw = request.cookies.get(LOGIN_CSRF_COOKIE)
        return auth.unsign(web_state(request).key, raw) if raw else None
    found = current_session(request)
    return found.csrf if found else None


def web_router(max_form_bytes: int = MAX_FORM_BYTES, **kwargs: Any) -> APIRouter:
    """An ``APIRouter`` for pages: CSRF-checked unsafe methods, HTML by default, no OpenAPI.

    ``max_form_bytes`` above the default: the router's forms may carry a file.
    """
    deps = list(kwargs.pop("dependencies", []))
    guard = csrf_protect if max_form_bytes == MAX_FORM_BYTES else csrf_protect_upload(max_form_bytes)
    return APIRouter(
        dependencies=[Depends(guard), *deps],
        default_response_class=HTMLResponse,
        include_in_schema=False,
        **kwargs,
    )


def cookie_secure(request: Request) -> bool:
    mode = web_state(request).settings.cookie_secure
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def local_path(target: str | None, default: str = "/overview") -> str:
    """``target`` if it is a path on this site (no open redirect), else ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


# --- community scope ------------------------------------------------------------------


def known_communities(state: WebState) -> list[str]:
    """Communities of the enrolled kiosks and of the managers' accounts."""
    with state.db.engine.connect() as conn:
        names = {r[0] for r in conn.execute(select(kiosks.c.community).distinct())}
        names |= {
            r[0]
            for r in conn.execute(select(managers.c.community).distinct())
            if r[0] is not None
        }
    return sorted(n for n in names if n and n != ALL)


def resolve_community(login: auth.LoginSession, requested: str | None, known: list[str]) -> str:
    """The community a page shows: a manager's own, or for a district manager ``*`` or one."""
    mine = login.manager.community
    if mine is not None:
        if requested not in (None, "", mine):
            raise Forbidden("you may only see your own community")
        return mine
    if requested in (None, "", ALL):
        return ALL
    if requested not in known:
        raise BadRequest("unknown community")
    return requested


def parse_month(value: str | None, default: date) -> date:
    """``YYYY-MM`` to the first day of that month (``default``'s month when absent)."""
    if not value:
        return default.replace(day=1)
    try:
        year, month = value.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(value)
        return date(int(year), int(month), 1)
    except ValueError:
        raise BadRequest("month must look like 2026-03") from None


# --- templates ------------------------------------------------------------------------


_template_dirs: list[Path] = [TEMPLATES_DIR]


def add_template_dir(path: Path) -> None:
    """Let a feature keep its templates in its own folder (they may extend ``base.html``)."""
    if path not in _template_dirs:
        _template_dirs.append(path)
        _env.loader = ChoiceLoader([FileSystemLoader(str(p)) for p in _template_dirs])


_env = Environment(
    loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES_DIR))]),
    autoescape=select_autoescape(["html", "xml"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals["shown"] = privacy.shown
_env.globals["residents_shown"] = privacy.residents_shown
_env.globals["SUPPRESSED"] = privacy.SUPPRESSED
_env.globals["MIN_PEOPLE"] = privacy.MIN_PEOPLE


@dataclass(frozen=True)
class NavItem:
    path: str
    msgid: str
    order: int


NAV: list[NavItem] = []


def register_nav(path: str, msgid: str, order: int) -> None:
    if all(n.path != path for n in NAV):
        NAV.append(NavItem(path, msgid, order))
        NAV.sort(key=lambda n: n.order)


def page_language(request: Request, login: auth.LoginSession | None) -> str:
    fallback = login.manager.language if login else "zh_CN"
    return negotiate(
        request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"), fallback
    )


def secure(response: Response) -> Response:
    for k, v in SECURITY_HEADERS.items():
        response.headers.setdefault(k, v)
    return response


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    login = current_session(request)
    lang = page_language(request, login)
    _: Translate = translator(lang)
    csrf = login.csrf if login else ""

    def csrf_input() -> Markup:
        return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf)

    tz = web_state(request).settings.tz

    def local_time(t: datetime) -> str:
        """A moment in the community's time zone, as managers read it."""
        return t.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    path = request.url.path
    query = request.url.query
    here = path + ("?" + query if query else "")
    body = _env.get_template(template).render(
        request=request,
        login=login,
        manager=login.manager if login else None,
        lang=lang,
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        _=_,
        csrf_input=csrf_input,
        local_time=local_time,
        nav=NAV,
        path=path,
        here=quote(here, safe="/?=&-_.~%"),
        **ctx,
    )
    return HTMLResponse(body, status)  # headers added by the app's middleware


def new_login_csrf(state: WebState) -> tuple[str, str]:
    """A token for the login form and its signed cookie value."""
    token = secrets.token_urlsafe(24)
    return token, auth.sign(state.key, token)
