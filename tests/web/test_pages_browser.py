"""The manager pages in real headless Chromium against the seeded server on 127.0.0.1.

Each page's figures are compared with what the seeded records imply, computed
in ``tests/web/seed.py`` without the server's code. Screenshots in both
languages go to ``test-output/web/``.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from sync.records import ExerciseSession, FitnessTestResult, LessonProgress
from tests.web import seed
from tests.web.conftest import PASSWORD, WebServer, start_web_server

pytestmark = pytest.mark.browser

METRICS = ("sessions", "repetitions", "minutes", "lessons_completed", "fitness_tests", "residents")


def login(page: Any, srv: WebServer, name: str = "district") -> None:
    page.goto(f"{srv.url}/overview")
    assert "/login" in page.url
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/overview")


def switch_language(page: Any, lang: str) -> None:
    with page.expect_navigation():
        page.click(f".lang-switch button[value='{lang}']")


def wait_for_charts(page: Any) -> None:
    charts = page.locator("[data-chart]")
    for i in range(charts.count()):
        charts.nth(i).and_(page.locator("[data-rendered='yes']")).wait_for()


def figure(page: Any, metric: str, period: str) -> str:
    return page.inner_text(f"td[data-metric='{metric}'][data-period='{period}']").split()[0]


def previous_days(today: date) -> dict[str, list[date]]:
    week = today - timedelta(days=today.weekday())
    last_month_end = today.replace(day=1) - timedelta(days=1)
    n = last_month_end.day
    return {
        "today": [today - timedelta(days=1)],
        "week": [week - timedelta(days=7 - i) for i in range(7)],
        "month": [last_month_end.replace(day=1) + timedelta(days=i) for i in range(n)],
    }


def check_overview(page: Any, srv: WebServer, community: str | None) -> None:
    periods = {
        "today": [srv.today],
        "week": seed.week_days(srv.today),
        "month": seed.month_days(srv.today),
    }
    before = previous_days(srv.today)
    for period, days in periods.items():
        want = seed.expected(srv.records, community, days)
        prev = seed.expected(srv.records, community, before[period])
        for metric in METRICS:
            assert figure(page, metric, period) == getattr(want, metric), (community, period, metric)
            assert figure(page, metric, f"{period}-previous") == getattr(prev, metric), (
                community,
                period,
                metric,
            )


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_overview_figures_equal_what_the_records_imply(
    engine: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    browser: Any,
    web_output: Path,
    chart_library: Path,
) -> None:
    from tests.web.conftest import _new_db_url

    srv = start_web_server(_new_db_url(request, engine, tmp_path), tmp_path)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        login(page, srv)
        check_overview(page, srv, None)
        page.select_option("select[name=community]", seed.EAST)
        with page.expect_navigation():
            page.click(".filters button")
        assert page.inner_text("#scope-name") == seed.EAST
        check_overview(page, srv, seed.EAST)
        wait_for_charts(page)
        # the east has enough residents today for real figures, not only "<5"
        assert figure(page, "sessions", "today") not in ("<5", "0")
        page.screenshot(path=str(web_output / f"overview-en-{engine}.png"), full_page=True)
        switch_language(page, "zh_CN")
        assert page.inner_text("#scope-name") == seed.EAST
        assert "今天" in page.inner_text("#headline") and "运动次数" in page.inner_text("#headline")
        check_overview(page, srv, seed.EAST)
        wait_for_charts(page)
        page.screenshot(path=str(web_output / f"overview-zh-{engine}.png"), full_page=True)
        # the west has three residents: nothing but "<5" and 0 in its figures
        page.goto(f"{srv.url}/overview?community={seed.WEST}")
        cells = page.locator("#headline td[data-metric]").all_inner_texts()
        assert {c.split()[0] for c in cells} <= {"<5", "0"}
        check_overview(page, srv, seed.WEST)
        page.close()
    finally:
        srv.handle.stop()
        srv.db.dispose()


def test_fleet_lists_the_stale_and_the_failing_kiosk_first(
    web_server: WebServer, browser: Any, web_output: Path
) -> None:
    page = browser.new_page(viewport={"width": 1500, "height": 800})
    login(page, web_server)
    page.goto(f"{web_server.url}/fleet")
    rows = page.locator("#fleet tbody tr")
    order = [rows.nth(i).get_attribute("data-kiosk") for i in range(rows.count())]
    assert order[:2] == ["e3", "w2"] and sorted(order[2:]) == ["e1", "e2", "w1"]
    e3, w2 = page.locator("tr[data-kiosk=e3]"), page.locator("tr[data-kiosk=w2]")
    assert e3.get_attribute("data-stale") == "yes" and "Stale" in e3.inner_text()
    assert w2.get_attribute("data-stale") == "no"
    assert w2.get_attribute("data-failing") == "camera"
    assert "Failing: camera" in w2.inner_text() and "no frames for 30 s" in w2.inner_text()
    for k in ("e1", "e2", "w1"):
        row = page.locator(f"tr[data-kiosk={k}]")
        assert row.get_attribute("data-stale") == "no" and row.get_attribute("data-failing") == ""
        assert "0.3.1" in row.inner_text() and "sample-lessons 3" in row.inner_text()
    assert "3 hours" not in e3.inner_text() and "3 h ago" in e3.inner_text()
    page.screenshot(path=str(web_output / "fleet-en.png"), full_page=True)
    switch_language(page, "zh_CN")
    assert "失联" in page.locator("tr[data-kiosk=e3]").inner_text()
    assert "故障：摄像头" in page.locator("tr[data-kiosk=w2]").inner_text()
    page.screenshot(path=str(web_output / "fleet-zh.png"), full_page=True)
    # a community manager sees only their kiosks
    page.context.clear_cookies()
    login(page, web_server, "west-manager")
    page.goto(f"{web_server.url}/fleet")
    rows = page.locator("#fleet tbody tr")
    assert sorted(rows.nth(i).get_attribute("data-kiosk") for i in range(rows.count())) == ["w1", "w2"]
    page.close()


# Rikli & Jones normal ranges of the 30-second chair stand, for the seeded age groups.
CHAIR = {
    ("female", "65-69"): (11, 16),
    ("female", "70-74"): (10, 15),
    ("female", "75-79"): (10, 15),
    ("female", "80-84"): (9, 14),
    ("male", "65-69"): (12, 18),
    ("male", "70-74"): (12, 17),
    ("male", "75-79"): (11, 17),
    ("male", "80-84"): (10, 15),
}


def test_lessons_and_fitness_tests_match_the_records(
    web_server: WebServer, browser: Any, web_output: Path, chart_library: Path
) -> None:
    srv = web_server
    month = previous_days(srv.today)["month"]  # a whole month of records
    recs = [r for r in srv.records if seed.in_scope(r, seed.EAST) and seed.local_day(r) in month]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    login(page, srv)
    page.goto(f"{srv.url}/lessons?community={seed.EAST}&month={month[0].strftime('%Y-%m')}")
    for lesson in seed.LESSONS:
        mine = [r for r in recs if isinstance(r, LessonProgress) and r.lesson_id == lesson]
        started = {r.resident for r in mine if r.resident != "guest"}
        done = {r.resident for r in mine if r.completed and r.resident != "guest"}
        cells = page.locator(f"tr[data-lesson='{lesson}'] td").all_inner_texts()
        assert cells[1] == seed.residents_shown(len(started))
        assert cells[2] == seed.residents_shown(len(done))
        if len(started) >= 5 and (len(done) >= 5 or not done):
            assert cells[3] == f"{round(len(done) / len(started) * 100)}%"
        elif started:  # a rate beside a visible count would give a hidden count away
            assert cells[3] == "<5"
        # the quiz score: right answers over questions, averaged over the lesson's records
        quizzed = [r.score / r.questions for r in mine if r.score is not None and r.questions]
        people = len(started) + sum(1 for r in mine if r.resident == "guest")
        want = seed.shown(sum(quizzed) / len(quizzed) * 100, people) if quizzed else "–"
        assert cells[5] == (want if want == "<5" or not quizzed else want + "%"), lesson
    assert any(
        page.inner_text(f"tr[data-lesson='{lesson}'] td:nth-child(6)").endswith("%")
        for lesson in seed.LESSONS
    ), "the seed has quiz scores to show this month"
    bands: Counter[tuple[str, str, str]] = Counter()
    people: dict[tuple[str, str, str], set[str]] = {}
    for r in recs:
        if isinstance(r, FitnessTestResult):
            age, sex = seed.demographics_of(r.resident)
            assert age is not None and sex is not None
            low, high = CHAIR[(sex, age)]
            band = "below" if r.value < low else ("above" if r.value > high else "within")
            bands[(age, sex, band)] += 1
            people.setdefault((age, sex, band), set()).add(r.resident)
    assert bands, "the seed has fitness tests this month"
    for (age, sex, band), n in bands.items():
        cell = page.locator(
            f"[data-test=chair_stand_30s] tr[data-age='{age}'][data-sex='{sex}'] td[data-band={band}]"
        )
        assert cell.inner_text() == seed.shown(n, len(people[(age, sex, band)]))
    wait_for_charts(page)
    page.screenshot(path=str(web_output / "lessons-en.png"), full_page=True)
    switch_language(page, "zh_CN")
    assert "30秒坐站" in page.inner_text("[data-test=chair_stand_30s]")
    wait_for_charts(page)
    page.screenshot(path=str(web_output / "lessons-zh.png"), full_page=True)
    page.close()


def test_monthly_report_prints_to_a_clean_a4_pdf(
    web_server: WebServer, browser: Any, web_output: Path, chart_library: Path
) -> None:
    srv = web_server
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    login(page, srv)
    switch_language(page, "zh_CN")
    days = previous_days(srv.today)["month"]  # a whole month of records
    first = days[0]
    page.goto(f"{srv.url}/report?community={seed.EAST}&month={first.strftime('%Y-%m')}")
    wait_for_charts(page)
    page.screenshot(path=str(web_output / "report-zh-screen.png"), full_page=True)
    pdf = web_output / "report-zh.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    want = seed.expected(srv.records, seed.EAST, days)
    assert "社区智能健身学习站月度报告" in text
    assert seed.EAST in text and f"{first.year}年{first.month}月" in text
    assert "主要数据" in text and "每日运动次数" in text and "体测结果与常模对比" in text
    lines = [line for line in text.splitlines() if line.strip().startswith("运动次数")]
    assert lines and lines[0].split()[1] == want.sessions
    lines = [line for line in text.splitlines() if line.strip().startswith("参与居民数")]
    assert lines and lines[0].split()[1] == want.residents
    assert "管理" not in text.split("社区智能健身学习站月度报告")[0]  # no menu bar printed
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info  # one page ...
    assert re.search(r"^Page size:.*\(A4\)$", info, re.M), info  # ... of A4
    subprocess.run(
        ["pdftoppm", "-png", "-r", "90", "-singlefile", str(pdf), str(web_output / "report-zh-pdf")],
        check=True,
    )
    switch_language(page, "en")
    wait_for_charts(page)
    page.pdf(path=str(web_output / "report-en.pdf"), format="A4", print_background=True)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "90",
            "-singlefile",
            str(web_output / "report-en.pdf"),
            str(web_output / "report-en-pdf"),
        ],
        check=True,
    )
    page.close()


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM first, for Excel"
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))


def test_csv_exports_download_and_match_the_records(
    web_server: WebServer, browser: Any, web_output: Path
) -> None:
    srv = web_server
    start, end = srv.today - timedelta(days=20), srv.today
    page = browser.new_page(accept_downloads=True)
    login(page, srv, "east-manager")
    page.goto(f"{srv.url}/export")
    page.screenshot(path=str(web_output / "export-en.png"), full_page=True)
    page.fill("input[name=start]", start.isoformat())
    page.fill("input[name=end]", end.isoformat())
    with page.expect_download() as dl:
        page.click("#export-records")
    download = dl.value
    assert download.suggested_filename == f"records-{seed.EAST}-{start}-{end}.csv"
    rows = read_csv(Path(download.path()).read_bytes())
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Date", "Time", "Community", "Kiosk", "Kind"]
    assert not any("res-" in cell for row in rows for cell in row), "no resident ids in the export"
    want: Counter[tuple[str, str, str, str, str | None]] = Counter()
    for r in srv.records:
        day = seed.local_day(r)
        if seed.in_scope(r, seed.EAST) and start <= day <= end:
            local = r.timestamp() + timedelta(minutes=seed.OFFSET_MIN)
            value, unit = r.measure()
            want[(day.isoformat(), local.strftime("%H:%M"), r.kiosk_id, f"{value:g}", unit)] += 1
    got = Counter((row[0], row[1], row[3], row[6], row[7]) for row in body)
    assert got == want
    assert {row[2] for row in body} == {seed.EAST}
    with page.expect_download() as dl:
        page.click("#export-daily")
    rows = read_csv(Path(dl.value.path()).read_bytes())
    sessions_today = [r for r in rows[1:] if r[0] == srv.today.isoformat() and r[2] == "Exercise session"]
    want_today = seed.expected(srv.records, seed.EAST, [srv.today])
    assert sessions_today and sessions_today[0][3] == want_today.sessions
    residents = {
        r.resident
        for r in srv.records
        if isinstance(r, ExerciseSession)
        and seed.in_scope(r, seed.EAST)
        and seed.local_day(r) == srv.today
        and r.resident != "guest"
    }
    assert sessions_today[0][4] == seed.residents_shown(len(residents))
    switch_language(page, "zh_CN")
    page.screenshot(path=str(web_output / "export-zh.png"), full_page=True)
    page.close()


def test_login_page_in_both_languages_and_a_wrong_password(
    web_server: WebServer, browser: Any, web_output: Path
) -> None:
    page = browser.new_page()
    page.goto(f"{web_server.url}/login?lang=zh_CN")
    assert "登录" in page.inner_text("#login-submit")
    page.screenshot(path=str(web_output / "login-zh.png"))
    page.goto(f"{web_server.url}/login?lang=en")
    page.fill("#name", "district")
    page.fill("#password", "not the password")
    page.click("#login-submit")
    assert "Wrong name or password." in page.inner_text(".error")
    page.screenshot(path=str(web_output / "login-en-wrong.png"))
    page.close()

