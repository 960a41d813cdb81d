"""The ingest API fuzzed from its own OpenAPI document (schemathesis): never a 5xx.

Both valid-by-schema and schema-violating (negative) requests are generated;
half of the generated records are rewritten to carry the fuzzing kiosk's own
id so that the upsert path is exercised too, not only the refusal.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import DataGenerationMethod
from schemathesis.checks import not_a_server_error

from sync.server.app import create_app
from sync.server.db import Database
from tests.sync.helpers import start_thread_server

# FastAPI serves OpenAPI 3.1; schemathesis 3 supports it behind this switch.
schemathesis.experimental.OPEN_API_3_1.enable()

_TOKEN: dict[str, str] = {}
_DB: dict[str, Database] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    db = Database(f"sqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'server.db'}")
    _TOKEN["fuzz"] = db.add_kiosk("fuzz")
    srv = start_thread_server(create_app(db))
    _DB["db"] = db
    try:
        yield schemathesis.from_uri(
            f"{srv.url}/openapi.json",
            base_url=srv.url,
            data_generation_methods=[DataGenerationMethod.positive, DataGenerationMethod.negative],
        )
    finally:
        srv.stop()
        db.dispose()


schema = schemathesis.from_pytest_fixture("api_schema")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _valid_header(name: str, value: object) -> bool:
    return (
        isinstance(value, str)
        and bool(_HEADER_NAME.match(name))
        and all(c == "\t" or " " <= c <= "~" for c in value)
    )


_rng = random.Random(7)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    # Generated headers that are not valid HTTP fields (control characters, non-ASCII) are
    # refused by uvicorn's HTTP parser before the app runs, by closing the connection; that is
    # the transport's business, not the API's, so such headers are not sent.
    headers = {k: v for k, v in (case.headers or {}).items() if _valid_header(k, v)}
    if _rng.random() < 0.85:
        headers["Authorization"] = f"Bearer {_TOKEN['fuzz']}"
    case.headers = headers
    body = case.body
    if isinstance(body, dict) and _rng.random() < 0.5:
        if isinstance(body.get("records"), list):
            for rec in body["records"]:
                if isinstance(rec, dict):
                    rec["kiosk_id"] = "fuzz"
        elif "kiosk_id" in body:
            body["kiosk_id"] = "fuzz"
    response = case.call(timeout=20)
    case.validate_response(response, checks=(not_a_server_error,))
    assert response.status_code < 500, response.text


_KIND_BY_FIELD = {
    "exercise": "exercise_session",
    "lesson_id": "lesson_progress",
    "test": "fitness_test",
    "rating": "feedback",
}


@pytest.mark.slow
def test_fuzzing_reaches_the_upsert(api_schema: schemathesis.schemas.BaseSchema) -> None:
    """On its own (no other test needed first): generated batches with this kiosk's id are
    really stored, so the fuzzing above reaches the database and not only the refusals."""
    operation = api_schema["/api/v1/records"]["POST"]
    stats = {"calls": 0, "stored_batches": 0}
    before = _DB["db"].count_records("fuzz")

    @given(case=operation.as_strategy(data_generation_method=DataGenerationMethod.positive))
    # Derandomized: about one generated batch in twelve is wholly valid, so a random run of
    # 60 found none now and then (CI saw it); a fixed sequence makes the check repeatable.
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck),
              database=None, derandomize=True)
    def run(case: schemathesis.Case) -> None:
        case.headers = {"Authorization": f"Bearer {_TOKEN['fuzz']}"}
        if isinstance(case.body, dict) and isinstance(case.body.get("records"), list):
            for rec in case.body["records"]:
                if isinstance(rec, dict):  # this kiosk's id, and a uuid as a kiosk makes it
                    rec["kiosk_id"] = "fuzz"
                    rec["uuid"] = str(uuid.uuid4())
                    for key, kind in _KIND_BY_FIELD.items():  # a kiosk always writes the kind
                        if key in rec:
                            rec.setdefault("kind", kind)
        response = case.call(timeout=20)
        stats["calls"] += 1
        assert response.status_code < 500, response.text
        if response.status_code in (200, 422) and response.json().get("accepted", 0) > 0:
            stats["stored_batches"] += 1

    run()
    assert stats["calls"] >= 30
    assert stats["stored_batches"] > 0, stats
    assert _DB["db"].count_records("fuzz") > before
