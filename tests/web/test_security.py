"""The manager pages refuse what they must, over real HTTP on SQLite and PostgreSQL.

Without login: a redirect and no data. A community manager: no other
community by URL, filter or form field. A kiosk token: no page. Forms: a
CSRF token and the same origin. Filters and sort orders: SQL injection
harmless. Cookies: HttpOnly, SameSite, Secure over HTTPS.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests

from tests.web import seed
from tests.web.conftest import PASSWORD, WebServer

PAGES = [
    "/",
    "/overview",
    "/overview?community=west",
    "/fleet",
    "/fleet?sort=name",
    "/lessons",
    "/lessons?month=2026-01&sort=rate",
    "/report",
    "/report?community=west&month=2026-01",
    "/export",
]
EXPORTS = ["/export/records.csv", "/export/daily.csv"]
INJECTIONS = [
    "' OR '1'='1",
    "west' --",
    "west'; DROP TABLE records; --",
    '" OR ""="',
    "1) UNION SELECT name, token_hash FROM kiosks --",
    "%",
    "*",
    "东城' OR 1=1 --",
    "\\' OR 1=1 #",
    "x" * 3000,
    "\x00",
    "../../etc/passwd",
    "<script>alert(1)</script>",
]
PARAMS = {
    "/overview": ["community"],
    "/fleet": ["community", "sort"],
    "/lessons": ["community", "month", "sort"],
    "/report": ["community", "month"],
    "/export": ["community"],
    "/login": ["next", "lang"],
}



def without_tokens(html: str) -> str:
    """The page without its random CSRF/session tokens (a token may contain "e1" by chance)."""
    return re.sub(r'value="[A-Za-z0-9_-]{30,}"', 'value=""', html)

def secrets_of(srv: WebServer) -> list[str]:
    """Strings that must never appear in a refused response: tokens and seeded ids."""
    return [*srv.tokens.values(), "east-res-", "west-res-", "e1", "w1"]


def assert_no_data(srv: WebServer, body: str) -> None:
    for s in secrets_of(srv):
        assert s not in body, f"{s!r} leaked"
    assert not re.search(r'data-metric="[a-z_]+"', body)


@pytest.mark.parametrize("path", PAGES)
def test_pages_without_login_redirect_and_show_nothing(
    any_web_server: WebServer, path: str
) -> None:
    r = requests.get(any_web_server.url + path, allow_redirects=False, timeout=10)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")
    assert_no_data(any_web_server, r.text)
    assert len(r.content) < 200


@pytest.mark.parametrize("path", EXPORTS)
def test_exports_without_login_are_refused(any_web_server: WebServer, path: str) -> None:
    r = requests.post(
        any_web_server.url + path,
        data={"start": "2026-01-01", "end": "2026-12-31", "csrf_token": "x"},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code in (401, 403)
    assert "text/csv" not in r.headers.get("content-type", "")
    assert_no_data(any_web_server, r.text)


def test_a_kiosk_token_opens_no_page(any_web_server: WebServer) -> None:
    auth = {"Authorization": f"Bearer {any_web_server.tokens['e1']}"}
    for path in PAGES:
        r = requests.get(any_web_server.url + path, headers=auth, allow_redirects=False, timeout=10)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert_no_data(any_web_server, r.text)
    r = requests.post(
        any_web_server.url + "/export/records.csv",
        headers=auth,
        data={"start": "2026-01-01", "end": "2026-01-02"},
        timeout=10,
    )
    assert r.status_code in (401, 403) and "text/csv" not in r.headers.get("content-type", "")


def test_a_community_manager_cannot_reach_another_community(any_web_server: WebServer) -> None:
    srv = any_web_server
    s = srv.login("west-manager")
    mine = s.get(srv.url + "/overview", timeout=10)
    assert mine.status_code == 200 and seed.WEST in mine.text
    assert seed.EAST not in mine.text  # not even in a community menu
    for path in ("/overview", "/fleet", "/lessons", "/report", "/export"):
        for value in (seed.EAST, "*", "", "WEST", " west"):
            r = s.get(srv.url + path, params={"community": value}, timeout=10)
            if value in ("",):
                assert r.status_code == 200
                continue
            assert r.status_code == 403, (path, value)
            assert seed.EAST not in r.text and "e1" not in without_tokens(r.text)
    token = srv.csrf(s)
    today = srv.today.isoformat()
    for path in EXPORTS:
        r = s.post(
            srv.url + path,
            data={"community": seed.EAST, "start": today, "end": today, "csrf_token": token},
            timeout=10,
        )
        assert r.status_code == 403 and "text/csv" not in r.headers["content-type"]
        # without a community field, the export is the manager's own
        r = s.post(
            srv.url + path,
            data={
                "start": (srv.today - timedelta(days=5)).isoformat(),
                "end": today,
                "csrf_token": token,
            },
            timeout=10,
        )
        assert r.status_code == 200 and "text/csv" in r.headers["content-type"]
        assert seed.EAST not in r.text and "e1" not in without_tokens(r.text) and "e2" not in r.text


def test_forms_need_the_csrf_token_and_the_same_origin(any_web_server: WebServer) -> None:
    srv = any_web_server
    s = srv.login("district")
    token = srv.csrf(s)
    today = srv.today.isoformat()
    form = {"start": today, "end": today}
    for data, headers in (
        (form, {}),
        ({**form, "csrf_token": "wrong-" + token}, {}),
        ({**form, "csrf_token": token}, {"Origin": "http://evil.example"}),
        ({**form, "csrf_token": token}, {"Origin": "null"}),
    ):
        r = s.post(srv.url + "/export/records.csv", data=data, headers=headers, timeout=10)
        assert r.status_code == 403 and "text/csv" not in r.headers["content-type"]
    r = s.post(srv.url + "/logout", data={}, allow_redirects=False, timeout=10)
    assert r.status_code == 403
    assert s.get(srv.url + "/overview", allow_redirects=False, timeout=10).status_code == 200
    r = s.post(srv.url + "/language", data={"lang": "en"}, allow_redirects=False, timeout=10)
    assert r.status_code == 403
    # the login form has its own token, bound to a cookie
    anon = requests.Session()
    r = anon.post(
        srv.url + "/login",
        data={"name": "district", "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 403 and "kiosk_manager" not in r.headers.get("set-cookie", "")
    # with the token, logout works and the old cookie is dead afterwards
    cookie = s.cookies.get("kiosk_manager")
    assert cookie
    r = s.post(srv.url + "/logout", data={"csrf_token": token}, allow_redirects=False, timeout=10)
    assert r.status_code == 303
    r = requests.get(
        srv.url + "/overview", cookies={"kiosk_manager": cookie}, allow_redirects=False, timeout=10
    )
    assert r.status_code == 303


def test_injection_through_every_filter_and_sort_is_harmless(any_web_server: WebServer) -> None:
    srv = any_web_server
    before = srv.db.count_records()
    for name in ("district", "west-manager"):
        s = srv.login(name)
        for path, params in PARAMS.items():
            for param in params:
                for payload in INJECTIONS:
                    r = s.get(
                        srv.url + path, params={param: payload}, allow_redirects=False, timeout=10
                    )
                    assert r.status_code in (200, 303, 400, 403), (
                        path,
                        param,
                        payload,
                        r.status_code,
                    )
                    assert "Traceback" not in r.text and "sqlalchemy" not in r.text.lower()
                    if name == "west-manager":
                        assert "e1" not in without_tokens(r.text) and seed.EAST not in r.text, (
                            path,
                            param,
                            payload,
                        )
                    if r.status_code == 303:
                        assert r.headers["location"].startswith("/")  # no open redirect
                        assert not r.headers["location"].startswith("//")
                    assert "<script>alert(1)</script>" not in r.text
        token = srv.csrf(s)
        for path in EXPORTS:
            for field in ("community", "start", "end"):
                for payload in INJECTIONS:
                    data = {"start": "2026-01-01", "end": "2026-01-31", "csrf_token": token}
                    data[field] = payload
                    r = s.post(srv.url + path, data=data, timeout=10)
                    if name == "district" and field == "community" and payload == "*":
                        assert r.status_code == 200  # "*" is the district view itself
                        continue
                    assert r.status_code in (400, 403, 422), (path, field, payload, r.status_code)
                    assert "text/csv" not in r.headers.get("content-type", "")
    assert srv.db.count_records() == before
    assert len(srv.db.list_kiosks()) == len(seed.KIOSKS)


def test_session_cookie_flags_and_tampering(any_web_server: WebServer) -> None:
    srv = any_web_server
    s = requests.Session()
    page = s.get(srv.url + "/login", timeout=10)
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    r = s.post(
        srv.url + "/login",
        data={"name": "district", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    cookie = next(c for c in r.raw.headers.getlist("set-cookie") if c.startswith("kiosk_manager="))
    flags = {f.strip().lower() for f in cookie.split(";")[1:]}
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # plain HTTP on 127.0.0.1; see the HTTPS test
    value = s.cookies["kiosk_manager"]
    sid, sig = value.rsplit(".", 1)
    other = "B" if sid[-1] == "A" else "A"
    for forged in (
        sid + "." + sig[:-1] + ("x" if sig[-1] != "x" else "y"),
        sid[:-1] + other + "." + sig,
        sid,
        "",
        "a.b",
    ):
        r = requests.get(
            srv.url + "/overview",
            cookies={"kiosk_manager": forged},
            allow_redirects=False,
            timeout=10,
        )
        assert r.status_code == 303
    page = s.get(srv.url + "/overview", timeout=10)
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
        assert header in page.headers
    assert page.headers["Cache-Control"] == "no-store"


def test_wrong_passwords_are_throttled_over_http(web_server: WebServer) -> None:
    from sync.server.web import auth

    srv = web_server
    auth.add_manager(srv.db.engine, "throttled", PASSWORD, seed.EAST, reset=False)

    def attempt(password: str) -> requests.Response:
        s = requests.Session()
        page = s.get(srv.url + "/login", timeout=10)
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        return s.post(
            srv.url + "/login",
            data={"name": "throttled", "password": password, "csrf_token": token},
            allow_redirects=False,
            timeout=10,
        )

    codes = [attempt("wrong password!").status_code for _ in range(5)]
    assert codes == [401, 401, 401, 401, 429]
    r = attempt(PASSWORD)  # even the right password waits out the lock
    assert r.status_code == 429 and "请 15 分钟后再试" in r.text  # no language chosen: Chinese
    assert "kiosk_manager=" not in r.headers.get("set-cookie", "")


def test_over_https_the_session_cookie_is_secure(tmp_path) -> None:  # noqa: ANN001
    import shutil
    import threading

    import uvicorn

    from sync.server.app import create_app
    from sync.server.db import Database
    from sync.server.web import auth
    from tests.sync.helpers import free_port, self_signed_cert

    if not shutil.which("openssl"):
        pytest.fail("openssl command not found (Debian package 'openssl')")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    self_signed_cert(cert, key)
    db = Database(f"sqlite:///{tmp_path / 'server.db'}")
    auth.add_manager(db.engine, "district", PASSWORD, None)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(db),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            ssl_certfile=str(cert),
            ssl_keyfile=str(key),
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"https://127.0.0.1:{port}"
    try:
        s = requests.Session()
        ca = str(cert)  # per request: REQUESTS_CA_BUNDLE in the environment beats Session.verify
        last: Exception | None = None
        for _ in range(200):
            try:
                page = s.get(url + "/login", timeout=2, verify=ca)
                break
            except requests.RequestException as exc:
                last = exc
                threading.Event().wait(0.05)
        else:
            pytest.fail(f"the HTTPS server did not answer: {last}")
        login_cookie = next(
            c for c in page.raw.headers.getlist("set-cookie") if c.startswith("kiosk_login_csrf=")
        )
        assert "secure" in login_cookie.lower()
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        r = s.post(
            url + "/login",
            data={"name": "district", "password": PASSWORD, "csrf_token": token},
            allow_redirects=False,
            timeout=10,
            verify=ca,
        )
        cookie = next(
            c for c in r.raw.headers.getlist("set-cookie") if c.startswith("kiosk_manager=")
        )
        flags = {f.strip().lower() for f in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite=lax", "path=/"} <= flags
        assert s.get(url + "/overview", allow_redirects=False, timeout=10, verify=ca).status_code == 200
    finally:
        server.should_exit = True
        thread.join(10)
        db.dispose()
