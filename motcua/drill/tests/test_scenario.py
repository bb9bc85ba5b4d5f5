"""Scenario files: the shipped ones load; every broken rule is named by its path and code."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from motcua.core.errors import InvalidInputs
from motcua.drill.scenario import load_scenario, parse_scenario, shipped_scenarios

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def valid() -> dict[str, Any]:
    return {
        "name": "hai-don-vi",
        "date": "2025-06-25",
        "window": {"start": "14:00", "end": "15:00"},
        "compression": 60,
        "groups": [
            {
                "units": [23575, 21583],
                "procedures": [{"code": "2.000635", "per_hour": 4}],
                "staff": {"receivers": 2},
                "pace_minutes": {"process": 5},
            }
        ],
        "channels": {"online": 0.8, "counter": 0.2},
        "faults": [{"kind": "payment_notification_lost", "at": "14:10", "minutes": 15}],
    }


def errors_of(data: Any) -> list[tuple[str | None, str]]:
    with pytest.raises(InvalidInputs) as caught:
        parse_scenario(data)
    return [(error.field, error.code) for error in caught.value.errors]


def test_shipped_scenarios_load() -> None:
    assert shipped_scenarios() == ["all-135", "faults", "land-afternoon", "pilot-77"]
    pilot = load_scenario("pilot-77")
    assert pilot.start == datetime(2025, 6, 25, 14, 0, tzinfo=VN)
    assert pilot.end == datetime(2025, 6, 25, 15, 0, tzinfo=VN)
    assert pilot.groups[0].selector == "former_gia_lai"
    faults = load_scenario("faults").faults
    assert [(f.kind, f.minutes) for f in faults] == [
        ("payment_notification_lost", 20),
        ("worker_killed", 5),
        ("portal_down", 10),
        ("slow_peer", 10),
    ]
    assert faults[3].delay_seconds == 4


def test_a_valid_scenario_is_built_with_defaults() -> None:
    scenario = parse_scenario(valid())
    group = scenario.groups[0]
    assert group.wards == (23575, 21583)
    assert group.staff == {"receivers": 2, "specialists": 1, "leaders": 1}
    assert group.pace_minutes == {"receive": 2, "process": 5, "approve": 2, "return": 2}
    assert scenario.work_until == datetime(2025, 6, 25, 17, 0, tzinfo=VN)
    assert scenario.faults[0].until == datetime(2025, 6, 25, 14, 25, tzinfo=VN)
    # 5 scenario minutes at ×60 are 5 real seconds.
    assert scenario.real_seconds(5) == 5


def test_every_broken_rule_is_reported_at_once() -> None:
    data = valid()
    data["compression"] = 0
    data["bogus"] = True
    data["groups"][0]["units"] = "hanoi"
    data["groups"][0]["procedures"][0] = {"code": "9.999999", "per_hour": -1}
    data["channels"] = {"online": 0.5, "counter": 0.2}
    data["faults"] = [{"kind": "earthquake", "at": "14:00"}, {"kind": "slow_peer", "at": "16:00"}]
    assert errors_of(data) == [
        ("bogus", "unknown_key"),
        ("compression", "range"),
        ("groups[0].units", "choice"),
        ("groups[0].procedures[0].code", "choice"),
        ("groups[0].procedures[0].per_hour", "range"),
        ("channels", "sum"),
        ("faults[0].kind", "choice"),
        ("faults[1].at", "outside"),
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"date": "25/06/2025"}, ("date", "date")),
        ({"window": {"start": "15:00", "end": "14:00"}}, ("window.end", "window_order")),
        ({"window": {"start": "2pm", "end": "15:00"}}, ("window.start", "time")),
        ({"window": {"start": "14:00"}}, ("window.end", "required")),
        ({"work_until": "14:30"}, ("work_until", "until")),
        ({"compression": "fast"}, ("compression", "type")),
        ({"groups": []}, ("groups", "empty")),
        ({"seed": "x"}, ("seed", "type")),
    ],
)
def test_bad_input_names_the_field_and_the_rule(
    change: dict[str, Any], expected: tuple[str, str]
) -> None:
    data = valid()
    data.update(change)
    assert errors_of(data) == [expected]


def test_bad_ward_codes_and_staff() -> None:
    data = valid()
    data["groups"][0]["units"] = [23575, "Pleiku", 0]
    data["groups"][0]["staff"] = {"receivers": 0, "clerks": 1}
    assert errors_of(data) == [
        ("groups[0].units[1]", "ward_code"),
        ("groups[0].units[2]", "ward_code"),
        ("groups[0].staff.clerks", "unknown_key"),
        ("groups[0].staff.receivers", "range"),
    ]


def test_messages_say_the_rule_in_vietnamese() -> None:
    data = valid()
    data["compression"] = 5000
    with pytest.raises(InvalidInputs) as caught:
        parse_scenario(data)
    assert caught.value.errors[0].message == "“compression” phải từ 1 đến 3600."


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputs) as caught:
        load_scenario(str(tmp_path / "missing.yaml"))
    assert [(e.field, e.code) for e in caught.value.errors] == [("file", "unreadable")]
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(InvalidInputs) as caught:
        load_scenario(str(broken))
    assert [(e.field, e.code) for e in caught.value.errors] == [("file", "yaml")]


def test_an_unknown_scenario_name_lists_the_shipped_ones() -> None:
    with pytest.raises(InvalidInputs) as caught:
        load_scenario("pilot-78")
    (error,) = caught.value.errors
    assert (error.field, error.code) == ("scenario", "unknown_scenario")
    assert error.message == (
        f"Không có kịch bản “pilot-78”; các kịch bản có sẵn: {', '.join(shipped_scenarios())}."
    )
    assert "pilot-77" in shipped_scenarios()


def test_an_impossible_date_in_the_file_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad-date.yaml"
    path.write_text(
        'date: 2025-13-01\nwindow: {start: "14:00", end: "15:00"}\ncompression: 60\n'
        "groups: [{units: all, procedures: [{code: '2.000635', per_hour: 1}]}]\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInputs) as caught:
        load_scenario(str(path))
    assert [(e.field, e.code) for e in caught.value.errors] == [("date", "date")]


def test_a_slow_peer_delay_is_checked() -> None:
    data = valid()
    data["faults"] = [
        {"kind": "slow_peer", "at": "14:20", "minutes": 5, "delay_seconds": 2.5},
        {"kind": "slow_peer", "at": "14:30"},
    ]
    first, second = parse_scenario(data).faults
    assert (first.delay_seconds, first.until) == (2.5, datetime(2025, 6, 25, 14, 25, tzinfo=VN))
    assert second.delay_seconds == 3.0  # the default
    data["faults"] = [
        {"kind": "slow_peer", "at": "14:20", "delay_seconds": 61},
        {"kind": "slow_peer", "at": "14:20", "delay_seconds": "slow"},
        {"kind": "portal_down", "at": "14:20", "delay_seconds": 2},
    ]
    assert errors_of(data) == [
        ("faults[0].delay_seconds", "range"),
        ("faults[1].delay_seconds", "type"),
        ("faults[2].delay_seconds", "not_for_kind"),
    ]


def test_a_ward_outside_the_province_is_named() -> None:
    from vietnam_provinces import Ward as VnWard

    # A real ward of another province (Hà Nội, 01) and a code no ward has.
    hanoi = next(int(w.code) for w in VnWard.iter_all() if int(w.province_code) == 1)
    data = valid()
    data["groups"][0]["units"] = [23575, 99999, hanoi]
    assert errors_of(data) == [
        ("groups[0].units[1]", "unknown_ward"),
        ("groups[0].units[2]", "unknown_ward"),
    ]
    with pytest.raises(InvalidInputs) as caught:
        parse_scenario(data)
    assert caught.value.errors[0].message == (
        "“groups[0].units[1]”: 99999 không phải mã một xã, phường của tỉnh (mã tỉnh 52, "
        "135 đơn vị)."
    )


def test_unquoted_times_are_read_as_the_clock_time(tmp_path: Path) -> None:
    path = tmp_path / "unquoted.yaml"
    path.write_text(
        "date: '2025-06-25'\nwindow: {start: 14:00, end: 15:30}\nwork_until: 17:00\n"
        "compression: 60\ngroups: [{units: all, procedures: [{code: '2.000635', per_hour: 1}]}]\n"
        "faults: [{kind: portal_down, at: 14:20}]\n",
        encoding="utf-8",
    )
    scenario = load_scenario(str(path))
    assert scenario.start == datetime(2025, 6, 25, 14, 0, tzinfo=VN)
    assert scenario.end == datetime(2025, 6, 25, 15, 30, tzinfo=VN)
    assert scenario.work_until == datetime(2025, 6, 25, 17, 0, tzinfo=VN)
    assert scenario.faults[0].at == datetime(2025, 6, 25, 14, 20, tzinfo=VN)


def test_a_bad_time_says_to_quote_it() -> None:
    data = valid()
    data["window"] = {"start": 1500, "end": "15:00"}  # 25:00 is no time of day
    with pytest.raises(InvalidInputs) as caught:
        parse_scenario(data)
    error = caught.value.errors[0]
    assert (error.field, error.code) == ("window.start", "time")
    assert '"14:00"' in error.message


@pytest.mark.parametrize("text", ["", "# nothing\n", "- name: a\n- name: b\n", "just text\n"])
def test_an_empty_or_listed_file_names_the_top_level(tmp_path: Path, text: str) -> None:
    path = tmp_path / "top.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputs) as caught:
        load_scenario(str(path))
    assert [(e.field, e.code) for e in caught.value.errors] == [("scenario", "top_level")]
