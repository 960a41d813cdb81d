"""The community forms' pure parsing: what a manager types becomes a strict item or a clear error."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from sync.server.web import community_forms as forms

TZ = ZoneInfo("Asia/Shanghai")
WHEN = {"starts_at": "2026-03-01T00:00", "ends_at": "2026-04-01T00:00"}


def test_challenge_from_a_form_in_the_community_time_zone() -> None:
    form = {"title_zh": "三月深蹲", "title_en": "", "metric": "repetitions", "goal": "20000",
            "activities": "squat, sit_to_stand\nmarch", "scope": "kiosks", **WHEN}
    c = forms.challenge(form, "ch-1", TZ, ["a1", "a2"], ["a2"])
    assert c.starts_at == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)  # midnight in Shanghai
    assert c.activities == ["squat", "sit_to_stand", "march"] and c.kiosks == ["a2"]
    assert c.title.get("en") == "三月深蹲"  # falls back to the other language


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"metric": "laps"}, "metric"),
        ({"goal": "lots"}, "goal: not a number"),
        ({"goal": "-5"}, "goal"),
        ({"goal": "nan"}, "goal"),
        ({"title_zh": "", "title_en": ""}, "title: write it in Chinese or English"),
        ({"ends_at": "2026-02-01T00:00"}, "ends_at must be after starts_at"),
        ({"starts_at": "yesterday"}, "starts_at: not a date and time"),
        ({"scope": "team", "team": "bad team!"}, "team:"),
        ({"scope": "kiosks"}, "kiosks: pick the kiosks"),
        ({"scope": "planet"}, "scope"),
        ({"title_en": "x" * 300}, "title_en is longer than 200"),
    ],
)
def test_bad_challenge_forms_name_the_problem(change: dict[str, str], message: str) -> None:
    form = {"title_en": "Squats", "metric": "repetitions", "goal": "100", **WHEN, **change}
    with pytest.raises(forms.FormError) as exc:
        forms.challenge(form, "ch-1", TZ, ["a1"], [])
    assert message in exc.value.message


def test_a_kiosk_of_another_community_cannot_be_picked() -> None:
    form = {"title_en": "S", "metric": "sessions", "goal": "5", "scope": "kiosks", **WHEN}
    with pytest.raises(forms.FormError, match="b1 is not a kiosk of this community"):
        forms.challenge(form, "ch-1", TZ, ["a1"], ["b1"])


def test_poll_choices_line_up_in_both_languages() -> None:
    p = forms.poll({"title_en": "Q", "choices_zh": "太极\n广场舞\n", "choices_en": "Tai chi\nDance",
                    "multiple": "on", "max_choices": "2", **WHEN}, "po-1", TZ)
    assert [c.get("zh_CN") for c in p.choices] == ["太极", "广场舞"] and p.multiple and p.max_choices == 2
    one = forms.poll({"title_en": "Q", "choices_en": "a\nb\nc", **WHEN}, "po-2", TZ)
    assert not one.multiple and one.max_choices == 1
    with pytest.raises(forms.FormError, match="2 Chinese lines and 3 English lines"):
        forms.poll({"title_en": "Q", "choices_zh": "a\nb", "choices_en": "a\nb\nc", **WHEN}, "p", TZ)
    with pytest.raises(forms.FormError, match="between 2 and 20"):
        forms.poll({"title_en": "Q", "choices_en": "\n".join("x" * 21), **WHEN}, "p", TZ)
    with pytest.raises(forms.FormError, match="line 2 is empty"):
        forms.poll({"title_en": "Q", "choices_en": "a\n\nc", **WHEN}, "p", TZ)


def test_event_capacity_and_place() -> None:
    e = forms.event({"title_en": "Walk", "place_zh": "二号门", "capacity": "30", **WHEN}, "ev-1", TZ)
    assert e.capacity == 30 and e.place.get("en") == "二号门"
    assert forms.event({"title_en": "W", "place_en": "G", **WHEN}, "ev-2", TZ).capacity is None
    with pytest.raises(forms.FormError, match="capacity: not a whole number"):
        forms.event({"title_en": "W", "place_en": "G", "capacity": "2.5", **WHEN}, "ev-3", TZ)
    with pytest.raises(forms.FormError, match="place"):
        forms.event({"title_en": "W", **WHEN}, "ev-4", TZ)


def test_resident_codes_are_short_and_never_the_whole_pseudonym() -> None:
    pseudonym = "9f86d081884c7d659a2feaa0c55ad015"
    assert forms.resident_code(pseudonym) == "C55A-D015"
    assert forms.resident_code("r-1") == "R1"
    assert forms.resident_code("---") == "?"
