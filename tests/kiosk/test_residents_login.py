"""Residents without a window: PINs (hashed, rate-limited), number codes that work on every
kiosk of the community, consent accepted and declined, profiles back from the server, and
"Delete my data" (this kiosk and the real server on 127.0.0.1), only for the signed-in one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.config import Config, DataLayout, KioskSection, ResidentsSection, SyncSection
from kiosk.residents.codes import format_code, normalise_code
from kiosk.residents.consent import CONSENT_VERSION, consent_text
from kiosk.residents.pins import PinLimiter, hash_pin, pin_problem, verify_pin
from kiosk.services.build import connect_residents
from kiosk.services.residents import CodeOutcome, ResidentsService, Visit
from kiosk.services.store import StoreService
from kiosk.services.sync import SyncService
from sync.records import Consent, FitnessTestResult, ResidentProfile
from sync.server.app import create_app
from sync.server.db import Database
from tests.sync.helpers import ThreadServer, session, start_thread_server

KEY = "6f1d0c5e9b7a4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d"


def test_pins_are_stored_hashed_and_checked_in_constant_form() -> None:
    stored = hash_pin("2580")
    assert "2580" not in stored and stored.startswith("scrypt$16384$8$1$")
    assert verify_pin("2580", stored) and not verify_pin("2581", stored)
    assert hash_pin("2580") != stored  # salted
    assert not verify_pin("2580", "scrypt$x$8$1$00$00") and not verify_pin("1", "garbage")
    assert pin_problem("2580") is None
    for weak in ("1111", "1234", "9876", "123", "12a4", "12345"):
        assert pin_problem(weak), weak


def test_wrong_pins_lock_a_code_then_the_keypad_and_survive_a_restart(tmp_path: Path) -> None:
    now = [1000.0]
    path = tmp_path / "limits.json"
    lim = PinLimiter(path, tries=3, lock_s=300, keypad_tries=5, clock=lambda: now[0])
    assert lim.failed("code-a") == 0 and lim.failed("code-a") == 0
    assert lim.failed("code-a") == 300  # the third wrong PIN in a row
    assert lim.locked_for("code-a") == 300 and lim.locked_for("code-b") == 0
    again = PinLimiter(path, tries=3, lock_s=300, keypad_tries=5, clock=lambda: now[0])
    assert again.locked_for("code-a") == 300  # a restart does not reset it
    now[0] += 301
    assert again.locked_for("code-a") == 0
    for who in ("code-b", "code-c", "code-d", "code-e"):
        again.failed(who)
    assert again.locked_for("code-x") == 0
    again.failed("code-f")  # five wrong PINs of any codes: the whole keypad
    assert again.locked_for("code-x") == 300
    assert normalise_code("482 913") == "482913" and normalise_code("48291") is None
    assert format_code("482913") == "482 913"


def test_consent_text_says_how_long_with_this_kiosk_s_figures() -> None:
    en = " ".join(consent_text("en", 365))
    zh = " ".join(consent_text("zh_CN", 365))
    assert "365 days" in en and "365" in zh and "card number" in en


# -- two kiosks of one community and the real server ----------------------------------------


@dataclass
class Kiosk:
    layout: DataLayout
    store: StoreService
    sync: SyncService
    residents: ResidentsService

    def sync_pass(self) -> None:
        report = self.sync.run_pass()
        assert report.ok, report.error

    def stop(self) -> None:
        self.store.stop()


@dataclass
class Community:
    db: Database
    server: ThreadServer
    north: Kiosk
    south: Kiosk


def make_kiosk(root: Path, name: str, url: str, token: str) -> Kiosk:
    layout = DataLayout(root / name)
    layout.root.mkdir(parents=True)
    layout.sync_token.write_text(token)
    cfg = Config(kiosk=KioskSection(id=name, data_dir=str(layout.root)),
                 residents=ResidentsSection(community_key=KEY, pin_tries=3),
                 sync=SyncSection(server_url=url, max_attempts=2, backoff_base_s=0.01,
                                  backoff_max_s=0.05, connect_timeout_s=1))
    store = StoreService(cfg, layout=layout)
    store.start()
    sync = SyncService(cfg, store, layout=layout)
    residents = ResidentsService(cfg, layout, store=store)
    connect_residents(residents, sync)
    residents.on_saved = None  # the test runs the passes itself
    residents.start()
    return Kiosk(layout, store, sync, residents)


@pytest.fixture
def community(tmp_path: Path) -> Iterator[Community]:
    db = Database(f"sqlite:///{tmp_path / 'server.db'}")
    tokens = {k: db.add_kiosk(k) for k in ("north", "south")}
    server = start_thread_server(create_app(db))
    north = make_kiosk(tmp_path, "north", server.url, tokens["north"])
    south = make_kiosk(tmp_path, "south", server.url, tokens["south"])
    try:
        yield Community(db, server, north, south)
    finally:
        north.stop()
        south.stop()
        server.stop()
        db.dispose()


def wait_saved(kiosk: Kiosk) -> None:
    """Saves run on the store's thread: wait until the queue is empty."""
    done = threading.Event()
    kiosk.store.query_async(lambda st: None, lambda *_: done.set())
    assert done.wait(10)


def test_a_number_code_made_on_one_kiosk_signs_in_on_another(community: Community) -> None:
    north, south = community.north, community.south
    made = north.residents.new_code()
    assert made is not None
    code, resident = made
    assert resident.startswith("code-") and code not in resident
    # sign-up: the PIN is chosen, consent given; only then is anything stored
    assert north.store.store.count() == 0
    north.residents.accept_consent(resident, "en", True, pin="2580")
    wait_saved(north)
    kinds = sorted(e.kind for e in north.store.store.entries(resident))
    assert kinds == ["consent", "resident_profile"]
    stored = north.store.store.get_many(e.uuid for e in north.store.store.entries(resident))
    profile = next(r for r in stored if isinstance(r, ResidentProfile))
    consent = next(r for r in stored if isinstance(r, Consent))
    assert consent.version == profile.consent_version == CONSENT_VERSION
    assert profile.pin_hash and "2580" not in profile.pin_hash and code not in str(stored)
    assert north.residents.code_login(code, "2580").outcome is CodeOutcome.SIGNED_IN
    north.sync_pass()
    # the south kiosk has never seen this code: wrong PIN first, then the right one
    assert not south.residents.book.known(resident)
    wrong = south.residents.code_login(format_code(code), "0852")
    assert wrong.outcome is CodeOutcome.WRONG_PIN and wrong.resident == resident
    right = south.residents.code_login(code, "2580")
    assert right.outcome is CodeOutcome.SIGNED_IN and right.resident == resident
    assert not south.residents.needs_consent(resident)  # consent given on the other kiosk
    profile_here = south.residents.profile(resident)
    assert profile_here is not None and profile_here.large_text and profile_here.language == "en"
    # three wrong PINs in a row lock the code on this kiosk, the right PIN included
    for _ in range(2):
        assert south.residents.code_login(code, "1357").outcome is CodeOutcome.WRONG_PIN
    locked = south.residents.code_login(code, "1357")
    assert locked.outcome is CodeOutcome.LOCKED and locked.locked_for_s > 0
    assert south.residents.code_login(code, "2580").outcome is CodeOutcome.LOCKED
    # a code nobody has is not known (and not a wrong PIN)
    unknown = south.residents.code_login("111111" if code != "111111" else "222222", "2580")
    assert unknown.outcome is CodeOutcome.UNKNOWN
    assert south.residents.code_login("12", "2580").outcome is CodeOutcome.NOT_A_CODE


def test_a_card_s_consent_is_known_on_every_kiosk_and_a_decline_stores_nothing(
        community: Community) -> None:
    north, south = community.north, community.south
    anna = north.residents.card_login("0A00BC614E")
    ben = north.residents.card_login("0A00BC614F")
    assert anna is not None and ben is not None
    assert anna == south.residents.card_login("0a00bc614e ")
    assert north.residents.needs_consent(anna) and north.residents.needs_consent(ben)
    north.residents.accept_consent(anna, "zh_CN", False)
    # Ben declines: nothing of him is stored, he goes on as a guest
    wait_saved(north)
    assert north.store.store.entries(ben) == []
    north.sync_pass()
    assert south.residents.needs_consent(anna)  # not fetched yet
    south.sync_pass()  # the pass fetches the community's profiles
    assert not south.residents.needs_consent(anna) and south.residents.needs_consent(ben)
    # a profile change on the south kiosk reaches the north one
    assert south.residents.update_profile(anna, age_group="75-79", sex="female") is not None
    wait_saved(south)
    south.sync_pass()
    north.sync_pass()
    got = north.residents.profile(anna)
    assert got is not None and got.age_group == "75-79" and got.sex == "female"
    assert north.residents.update_profile(ben, age_group="60-64") is None  # no consent


def test_delete_my_data_only_for_the_signed_in_resident_here_and_on_the_server(
        community: Community) -> None:
    north, south, db = community.north, community.south, community.db
    anna = north.residents.card_login("0A00BC614E")
    ben = north.residents.card_login("0A00BC614F")
    assert anna and ben
    for who in (anna, ben):
        north.residents.accept_consent(who, "en", False)
        for i in range(3):
            north.store.save(session(i, kiosk="north", resident=who))
        north.store.save(FitnessTestResult(kiosk_id="north", resident=who, test="bmi",
                                           value=23.1, unit="kg/m2",
                                           measured_at=session(0).ended_at, utc_offset_min=480))
    wait_saved(north)
    north.sync_pass()
    south.store.save(session(9, kiosk="south", resident=anna))
    south.sync_pass()
    assert db.count_resident_records(anna) == 7 and db.count_resident_records(ben) == 6

    ben_visit = north.residents.begin_visit(ben)
    north.residents.end_visit()
    anna_visit = north.residents.begin_visit(anna)
    results: list = []
    with pytest.raises(PermissionError):  # Ben's old visit, or one made up for him
        north.residents.delete_my_data(ben_visit, lambda n, e: results.append((n, e)))
    with pytest.raises(PermissionError):
        north.residents.delete_my_data(Visit(ben), lambda n, e: results.append((n, e)))
    assert results == [] and len(north.store.store.entries(ben)) == 6

    done = threading.Event()
    north.residents.delete_my_data(anna_visit, lambda n, e: (results.append((n, e)), done.set()))
    assert done.wait(10) and results == [(6, None)]
    left = north.store.store.entries(anna)
    assert [e.kind for e in left] == ["erasure_request"]
    assert north.residents.profile(anna) is None and north.residents.needs_consent(anna)
    assert len(north.store.store.entries(ben)) == 6
    north.sync_pass()
    # the server no longer has anything of hers (this kiosk's or the south kiosk's), only the
    # request; Ben's records are untouched
    assert db.count_resident_records(anna) == 1
    assert db.count_resident_records(anna, "erasure_request") == 1
    assert db.count_resident_records(ben) == 6
    # and the south kiosk learns on its next pass that she has no profile any more
    south.sync_pass()
    assert south.residents.profile(anna) is None
