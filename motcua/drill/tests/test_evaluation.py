"""The evaluation's reconciliation and fault costs, from a run's data written out by hand: what
the runner was told, the server's ledger and what the portal's stand-in holds."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from motcua.drill.evaluation import evaluate
from motcua.drill.runner import Call, Drill, FaultEvent, Record, Unit
from motcua.drill.scenario import parse_scenario

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(minute: float) -> datetime:
    return datetime(2025, 6, 25, 14, 0, tzinfo=VN) + timedelta(minutes=minute)


def iso(minute: float | None) -> str | None:
    return at(minute).isoformat() if minute is not None else None


def drill_with(messages: list[list[object]], portal: dict[str, object] | None) -> Drill:
    scenario = parse_scenario(
        {
            "name": "so-lieu",
            "date": "2025-06-25",
            "window": {"start": "14:00", "end": "15:00"},
            "compression": 60,
            "groups": [
                {"units": [23575, 21583], "procedures": [{"code": "2.000635", "per_hour": 1}]}
            ],
            "faults": [{"kind": "portal_down", "at": "14:20", "minutes": 10}],
        }
    )
    drill = Drill(scenario, "http://127.0.0.1:9", {"admin": "x", "units": {}}, progress=False)
    group = scenario.groups[0]
    drill.units = [
        Unit(23575, "Phường Pleiku", 1, "gia_lai", group, {}),
        Unit(21583, "Phường Quy Nhơn", 2, "binh_dinh", group, {}),
    ]
    for seq, code in enumerate(("A-1", "A-2"), start=1):
        record = Record(seq, 23575, "2.000635", "online", "online", at(seq))
        record.submitted, record.code, record.fee, record.paid_confirmed = True, code, 8000, True
        record.server = {"state": "returned", "timeline": []}
        drill.records.append(record)
    drill.server_total_after = 2
    drill.ledger = {
        "messages": messages,
        "dossiers": [["A-1", 7, "returned", "paid"], ["A-2", 9, "returned", "paid"]],
    }
    drill.portal = portal
    drill.fault_events = [
        FaultEvent("portal_down", at(20), at(30), True, "pid 1", restored_at=at(31))
    ]
    return drill


def message(pk: int, code: str, seq: int, created: float, delivered: float | None) -> list[object]:
    state = "delivered" if delivered is not None else "failed"
    return [pk, "dvcqg", "dvcqg.status", code, seq, 2, state, iso(created), iso(delivered), 1]


MESSAGES = [
    message(1, "A-1", 1, 1, 1.5),  # before the fault: half a minute
    message(2, "A-2", 2, 2, 3.0),  # before the fault: one minute
    message(3, "A-1", 7, 18, 33),  # queued before, waited through the fault: 15 minutes
    message(4, "A-2", 9, 25, 35),  # queued during the fault: 10 minutes
    message(5, "A-2", 5, 40, 40.5),  # after: not affected
]


def test_fault_cost_and_a_clean_reconciliation() -> None:
    portal = {
        "counts": {"received": 6, "applied": 5, "stale_ignored": 1},
        "dossiers": {"A-1": {"sequence": 7, "status": 2}, "A-2": {"sequence": 9, "status": 2}},
        "snapshots": 2,
    }
    drill = drill_with(MESSAGES, portal)
    drill.calls = [
        Call("POST /dossiers", 0, 600.0, at(19.5), "ReadError"),  # 36 s at ×60: until 14:20:06
        Call("POST /dossiers", 502, 10.0, at(35.5)),  # within 5 real seconds after the fault
        Call("POST /dossiers", 0, 10.0, at(37)),  # 5 real seconds (×60) after: not the fault's
        Call("POST /dossiers", 201, 10.0, at(25)),
    ]
    report = evaluate(drill)
    fault = report["faults"][0]
    assert fault["messages_waiting"] == 2
    assert fault["messages_delivered"] == 2
    assert fault["mean_delay_minutes"] == 12.5
    assert fault["max_delay_minutes"] == 15
    # The finding writes them as Vietnamese does (decimal comma) and names the fault in words.
    text = next(f["text"] for f in report["findings"] if f.get("fault") == "portal_down")
    assert "chậm trung bình 12,5 phút (lâu nhất 15 phút)" in text
    assert fault["label"] == "Cổng DVCQG ngừng hoạt động"
    # Before the fault messages took 0.5 and 1 minute: both waiting ones were later than that.
    assert fault["usual_p95_delay_minutes"] == 1
    assert fault["messages_delayed"] == 2
    assert fault["failed_calls"] == 2
    rec = report["reconciliation"]
    assert rec["portal"] | {"examples": []} == {
        "checked": True,
        "owed": 2,
        "arrived": 2,
        "mismatched": 0,
        "examples": [],
        "received": 6,
        "applied": 5,
        "stale_ignored": 1,
        "bad_signature": 0,
        "restarts": 1,
    }
    assert rec["outbox"]["undelivered"] == 0 and rec["payments"]["settled"] == 2
    assert report["lost"]["count"] == 0
    texts = {f["kind"]: f["text"] for f in report["findings"]}
    # One of the two units received nothing: it is not counted as receiving.
    assert texts["summary"].startswith("1 trong 2 đơn vị tham gia nhận 2 hồ sơ")
    assert "2 tin trạng thái phải chờ" in texts["fault"] and "Không mất tin nào" in texts["fault"]
    assert "giữ đúng trạng thái mới nhất của 2/2 hồ sơ" in texts["reconciliation"]


def test_an_undelivered_message_and_a_stale_portal_are_lost() -> None:
    messages = [*MESSAGES[:4], message(6, "A-2", 11, 50, None)]
    portal = {
        "counts": {"received": 4},
        "dossiers": {"A-1": {"sequence": 1, "status": 2}},  # A-1 behind, A-2 never arrived
        "snapshots": 1,
    }
    report = evaluate(drill_with(messages, portal))
    rec = report["reconciliation"]
    assert (rec["portal"]["owed"], rec["portal"]["arrived"], rec["portal"]["mismatched"]) == (
        2,
        0,
        2,
    )
    assert rec["portal"]["examples"][0] == {"dossier": "A-1", "owed": [7, 2], "held": [1, 2]}
    assert rec["outbox"]["undelivered"] == 1
    assert report["lost"]["count"] == 3
    lost = next(f for f in report["findings"] if f["kind"] == "lost")
    assert lost["text"].startswith("MẤT DỮ LIỆU: 3 mục")


def test_a_unit_that_returned_everything_late_is_behind() -> None:
    drill = drill_with(MESSAGES[:2], None)
    # A-1 returned at 14:40, due 14:30: 0 of 1 on time (a share of 0.0, not "no due date").
    drill.records[0].server = {
        "state": "returned",
        "due_at": iso(30),
        "timeline": [
            {"action": "submit", "at": iso(1)},
            {"action": "return_result", "at": iso(40)},
        ],
    }
    drill.records = drill.records[:1]
    report = evaluate(drill)
    unit = next(u for u in report["units"] if u["ward"] == 23575)
    assert (unit["on_time"], unit["with_due"], unit["on_time_share"]) == (0, 1, 0.0)
    behind = next(f for f in report["findings"] if f["kind"] == "behind")
    assert behind["units"] == [23575]
    assert behind["text"].startswith("1 đơn vị chậm") and "Phường Pleiku" in behind["text"]


def test_a_failed_pay_call_is_not_read_as_a_lost_fee_and_overlaps_are_named() -> None:
    drill = drill_with(MESSAGES, None)
    settled, failed = drill.records
    for record in drill.records:
        record.ipn_lost, record.pay_started_at = True, at(22)
    settled.pay_settled_at = at(24)
    # The second citizen's "pay start" got no answer (the web worker was killed); the applicant
    # paid at the counter afterwards: the server's invoice is paid.
    failed.paid_confirmed = False
    failed.errors = ["pay start", "online payment fell back to the counter"]
    drill.fault_events.append(
        FaultEvent("payment_notification_lost", at(21), at(40), True, "share 1")
    )
    report = evaluate(drill)
    portal, payment = report["faults"]
    assert payment["kind"] == "payment_notification_lost"
    assert (payment["payments_affected"], payment["settled_anyway"]) == (2, 1)
    assert payment["payment_calls_failed"] == {"pay start": 1}
    assert (payment["not_recorded"], payment["paid_later"], payment["unpaid_at_end"]) == (0, 1, 0)
    # 14:21–14:40 meets the portal's 14:20–14:31.
    assert payment["overlaps"] == [
        {"kind": "portal_down", "label": "Cổng DVCQG ngừng hoạt động", "at": portal["at"]}
    ]
    assert portal["overlaps"] == [
        {
            "kind": "payment_notification_lost",
            "label": "Mất thông báo thanh toán",
            "at": payment["at"],
        }
    ]
    text = next(
        f["text"] for f in report["findings"] if f.get("fault") == "payment_notification_lost"
    )
    assert "2 khoản thanh toán không có thông báo, 1 khoản vẫn được ghi nhận" in text
    assert "1 khoản không đi hết các bước trả tiền vì lần gọi bị lỗi (“pay start”: 1)" in text
    assert "1 khoản đã thu xong về sau" in text and "0 khoản chưa thu khi kết thúc" in text
    assert "trùng thời gian với “Cổng DVCQG ngừng hoạt động” (14:20)" in text
    portal_text = next(f["text"] for f in report["findings"] if f.get("fault") == "portal_down")
    assert "trùng thời gian với “Mất thông báo thanh toán” (14:21)" in portal_text


@pytest.mark.parametrize("start", [35, 31])  # apart, and beginning as the portal came back
def test_faults_apart_do_not_overlap(start: int) -> None:
    drill = drill_with(MESSAGES, None)
    drill.fault_events.append(
        FaultEvent("payment_notification_lost", at(start), at(40), True, "share 1")
    )
    report = evaluate(drill)
    assert [f["overlaps"] for f in report["faults"]] == [[], []]
    assert not any("trùng thời gian" in f["text"] for f in report["findings"])
