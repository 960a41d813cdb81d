"""Login, logout and the language switch.

Why this module exists: the only way into the pages. The login form carries a
CSRF token bound to a signed cookie (there is no session yet); a right
password makes a server-side session whose signed id goes into an HttpOnly,
SameSite=Lax cookie (Secure over HTTPS); wrong passwords are throttled per
account and per address (:mod:`sync.server.web.auth`).
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from sync.server.web import auth
from sync.server.web.i18n import LANGUAGES, translator
from sync.server.web.pages import (
    LANG_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    BadRequest,
    Login,
    client_address,
    cookie_secure,
    current_session,
    local_path,
    new_login_csrf,
    page_language,
    render,
    web_router,
    web_state,
)

router = web_router()

LANG_COOKIE_AGE = 365 * 24 * 3600


def _login_form(
    request: Request, next_path: str, error: str = "", status: int = 200, name: str = ""
) -> Response:
    state = web_state(request)
    token, cookie = new_login_csrf(state)
    resp = render(
        request,
        "login.html",
        status,
        login_csrf=token,
        next_path=next_path,
        error=error,
        name=name,
    )
    resp.set_cookie(
        LOGIN_CSRF_COOKIE,
        cookie,
        httponly=True,
        samesite="strict",
        secure=cookie_secure(request),
        path="/login",
    )
    return resp


@router.get("/login")
def login_page(request: Request, next: str = "", lang: str = "") -> Response:  # noqa: A002
    next_path = local_path(next)
    if lang:
        if lang not in LANGUAGES:
            raise BadRequest("unknown language")
        resp = RedirectResponse(f"/login?next={next_path}", 303)
        resp.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_AGE, samesite="lax", path="/")
        return resp
    if current_session(request) is not None:
        return RedirectResponse(next_path, 303)
    return _login_form(request, next_path)


@router.post("/login")
def login_submit(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",  # noqa: A002
) -> Response:
    state = web_state(request)
    _ = translator(page_language(request, None))
    next_path = local_path(next)
    address = client_address(request)
    now = state.settings.now().timestamp()
    wait = auth.locked_for(state.db.engine, name, address, now)
    if wait <= 0:
        manager = auth.verify_login(state.db.engine, name, password, address, state.limits, now)
        if manager is not None:
            sid = auth.create_session(
                state.db.engine, manager.name, address, state.settings.session_ttl_s, now
            )
            resp = RedirectResponse(next_path, 303)
            resp.set_cookie(
                SESSION_COOKIE,
                auth.sign(state.key, sid),
                httponly=True,
                samesite="lax",
                secure=cookie_secure(request),
                path="/",
            )
            resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
            return resp
        wait = auth.locked_for(state.db.engine, name, address, now)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        error = _("Too many wrong passwords. Try again in {minutes} minutes.", minutes=minutes)
        return _login_form(request, next_path, error, 429, name)
    return _login_form(request, next_path, _("Wrong name or password."), 401, name)


@router.post("/logout")
def logout(request: Request, login: Login) -> Response:
    state = web_state(request)
    raw = request.cookies.get(SESSION_COOKIE)
    sid = auth.unsign(state.key, raw) if raw else None
    if sid:
        auth.end_session(state.db.engine, sid)
    resp = RedirectResponse("/login", 303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.post("/language")
def set_language(
    request: Request,
    login: Login,
    lang: Annotated[str, Form(max_length=8)],
    next: Annotated[str, Form(max_length=2000)] = "",  # noqa: A002
) -> Response:
    if lang not in LANGUAGES:
        raise BadRequest("unknown language")
    auth.set_language(web_state(request).db.engine, login.manager.name, lang)
    resp = RedirectResponse(local_path(next), 303)
    resp.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_AGE, samesite="lax", path="/")
    return resp
