"""Status synchronisation: one message per dossier change, in the dossier's stream, with the
fields of the national portal; the newest acknowledged status is kept, a late one ignored."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client

from motcua.catalog.models import FeeItem
from motcua.conftest import World
from motcua.core.errors import InvalidTransition
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, FileKind
from motcua.dossiers.states import NATIONAL_STATUS, Channel
from motcua.exchange import outbox
from motcua.exchange.dvcqg import mapping, sim
from motcua.exchange.dvcqg.models import StatusSync
from motcua.exchange.dvcqg.outbound import STATUS_KIND, send_status
from motcua.exchange.dvcqg.tests.conftest import SECRET, Post, filing
from motcua.exchange.models import OutboxMessage, OutboxState, Peer
from motcua.exchange.transport import InProcessTransport, signed_headers

pytestmark = pytest.mark.django_db
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def status_messages(dossier: Dossier) -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.filter(kind=STATUS_KIND, stream=f"dossier:{dossier.pk}").order_by(
            "id"
        )
    )


def records(dossier: Dossier) -> list[dict[str, Any]]:
    return [message.payload["data"][0] for message in status_messages(dossier)]


def local(moment: Any) -> str:
    return str(moment.astimezone(HCM).strftime("%Y%m%d%H%M%S"))


def test_every_change_posts_its_status_in_the_dossier_stream_in_order(
    world: World, portal: Peer, stub_pdfs: bytes
) -> None:
    dossier = world.dossier_in("returned")

    events = list(dossier.events.order_by("at", "pk"))
    sent = records(dossier)
    assert [r["SoThuTuCapNhat"] for r in sent] == [event.pk for event in events]
    assert [r["TrangThaiHoSo"] for r in sent] == [NATIONAL_STATUS[e.to_state] for e in events]
    # submit, accept, take, propose, approve, return
    assert [r["TrangThaiHoSo"] for r in sent] == [1, 2, 4, 4, 9, 10]
    assert {m.peer.code for m in status_messages(dossier)} == {"dvcqg"}


def test_the_last_status_carries_the_fields_the_portal_publishes_and_scores(
    world: World, portal: Peer, stub_pdfs: bytes
) -> None:
    dossier = world.dossier_in("returned")
    dossier = Dossier.objects.select_related("receiving_agency", "competent_agency").get(
        pk=dossier.pk
    )

    message = status_messages(dossier)[-1].payload
    last = message["data"][0]
    assert (message["service"], message["isUpdating"]) == ("DongBoHoSoMC", True)
    assert last["MaHoSo"] == dossier.code
    assert last["MaTTHC"] == "2.000635"
    assert (last["ChuHoSo"], last["MaDoiTuong"]) == ("Nguyễn Văn An", "064090001234")
    assert last["NgayNopHoSo"] == local(dossier.submitted_at)
    assert last["NgayTiepNhan"] == local(dossier.accepted_at)
    assert last["NgayHenTra"] == local(dossier.due_at)
    assert last["NgayKetThucXuLy"] == local(dossier.finished_at)
    assert last["NgayTra"] == local(dossier.returned_at)
    assert last["KenhThucHien"] == Channel.ONLINE == 2
    assert last["DonViXuLy"] == world.pleiku.committee.name
    assert last["MaDonViTiepNhan"] == world.pleiku.center.code
    unit = FeeItem.objects.get(procedure=world.procedure, key="phi_khai_thac_ho_tich").amount
    assert last["DanhSachLePhi"] == [
        {
            "MaPhiLePhi": "phi_khai_thac_ho_tich",
            "TenPhiLePhi": "Phí khai thác, sử dụng thông tin trong cơ sở dữ liệu hộ tịch",
            "DonGia": unit,
            "SoLuong": 2,
            "Gia": 2 * unit,
        }
    ]
    assert last["DuocThanhToanTrucTuyen"] == 0  # paid in cash at the counter
    results = list(dossier.files.filter(kind=FileKind.RESULT).order_by("pk"))
    assert len(results) == 2  # one copy per requested copy
    assert [r["DuongDanTepTinKetQua"] for r in last["DanhSachGiayToKetQua"]] == [
        f"{settings.MOTCUA_PUBLIC_URL}/api/dvcqg/dossiers/{dossier.code}/results/{f.pk}"
        for f in results
    ]
    assert [p["TrangThai"] for p in last["QuaTrinhXuLy"]] == [1, 2, 4, 4, 9, 10]
    assert last["QuaTrinhXuLy"][2]["NguoiXuLy"] == world.pleiku.specialist.full_name
    # The specialist's working note stays in motcua.
    assert dossier.processing_note
    assert dossier.processing_note not in json.dumps(message, ensure_ascii=False)


def test_nothing_is_posted_without_the_portal_peer(world: World, stub_pdfs: bytes) -> None:
    dossier = world.dossier_in("accepted")

    assert status_messages(dossier) == []


def test_a_refused_change_posts_nothing(world: World, portal: Peer) -> None:
    dossier = world.submit()

    with pytest.raises(InvalidTransition):
        services.start_processing(dossier.pk, actor=world.pleiku.specialist)

    assert len(status_messages(dossier)) == 1


def test_a_fee_paid_on_the_portal_is_reported_as_paid_on_the_portal_from_the_first_status(
    world: World, portal: Peer, post_filing: Post
) -> None:
    unit = FeeItem.objects.get(procedure=world.procedure, key="phi_khai_thac_ho_tich").amount
    body = filing(
        world,
        DuocThanhToanTrucTuyen=1,
        DanhSachLePhi=[{"MaPhiLePhi": "phi_khai_thac_ho_tich", "Gia": 2 * unit}],
    )
    assert post_filing(body, "qg-paid").status_code == 201
    dossier = Dossier.objects.get()
    services.accept(dossier.pk, actor=world.pleiku.receiver)

    assert [r["DuocThanhToanTrucTuyen"] for r in records(dossier)] == [1, 1]
    assert [r["TrangThaiHoSo"] for r in records(dossier)] == [1, 2]


def portal_transport(state: sim.PortalState) -> InProcessTransport:
    transport = InProcessTransport()
    transport.route(
        "dvcqg",
        mapping.STATUS_PATH,
        lambda path, body, message_id: {"error_code": 0, **state.take_status(body)},
    )
    return transport


def test_the_newest_acknowledged_status_is_kept_and_a_late_retry_changes_nothing(
    world: World, portal: Peer, stub_pdfs: bytes
) -> None:
    dossier = world.dossier_in("approved")
    state = sim.PortalState(secret=SECRET, target="")
    transport = portal_transport(state)

    counts = outbox.deliver_due(worker_id="test", transport=transport)

    messages = status_messages(dossier)
    assert counts.delivered == len(messages) == 5
    assert {m.state for m in OutboxMessage.objects.filter(pk__in=[m.pk for m in messages])} == {
        OutboxState.DELIVERED
    }
    newest = messages[-1].payload["data"][0]["SoThuTuCapNhat"]
    sync = StatusSync.objects.get(dossier=dossier)
    assert (sync.sequence, sync.status) == (newest, 9)
    assert state.snapshot()["dossiers"][dossier.code]["status"] == 9

    late = send_status(messages[1], transport)  # the "accepted" status, delivered again

    assert late["applied"] is False
    sync.refresh_from_db()
    assert (sync.sequence, sync.status) == (newest, 9)
    snapshot = state.snapshot()
    assert snapshot["dossiers"][dossier.code]["status"] == 9
    assert snapshot["counts"]["stale_ignored"] == 1
    assert [h["status"] for h in snapshot["dossiers"][dossier.code]["history"]] == [1, 2, 4, 4, 9]


def test_the_portal_downloads_a_result_by_its_link_with_a_signed_request(
    world: World, portal: Peer, client: Client, stub_pdfs: bytes
) -> None:
    dossier = world.dossier_in("approved")
    link = records(dossier)[-1]["DanhSachGiayToKetQua"][0]["DuongDanTepTinKetQua"]
    path = link.removeprefix(settings.MOTCUA_PUBLIC_URL)
    # A GET signs its path (and query) in place of the body.
    headers = signed_headers(
        sender_code="dvcqg", secret=SECRET, message_id="qg-get-1", raw_body=path.encode()
    )
    headers.pop("Content-Type")
    missing = path.replace(dossier.code, "H52-000000-0000")
    missing_headers = signed_headers(
        sender_code="dvcqg", secret=SECRET, message_id="qg-get-2", raw_body=missing.encode()
    )
    missing_headers.pop("Content-Type")

    signed = client.get(path, headers=headers)
    unsigned = client.get(path)
    other = client.get(missing, headers=headers)
    absent = client.get(missing, headers=missing_headers)

    assert signed.status_code == 200
    assert b"".join(signed.streaming_content) == stub_pdfs
    assert unsigned.status_code == 401
    assert other.status_code == 401  # the signature names another path
    assert absent.status_code == 404


def test_a_status_costs_the_same_few_queries_however_long_the_history(
    world: World, portal: Peer, stub_pdfs: bytes, django_assert_num_queries: Any
) -> None:
    from django.db import transaction

    from motcua.exchange.dvcqg.outbound import post_status

    short = world.submit()
    long = world.dossier_in("approved")
    for dossier in (short, long):
        dossier = Dossier.objects.select_related(
            "procedure", "receiving_agency", "competent_agency"
        ).get(pk=dossier.pk)
        event = dossier.events.order_by("pk").last()
        OutboxMessage.objects.filter(stream=f"dossier:{dossier.pk}").delete()
        # peer, paid-on-portal flag, invoice, its lines, results, history; then the outbox
        # insert (which skips an existing key itself). At "submit" the dossier is new: no flag,
        # no results and no history to read back, and the insert finds the peer itself.
        expected = 3 if event.action == "submit" else 7
        with transaction.atomic(), django_assert_num_queries(expected):
            post_status(sender=Dossier, dossier=dossier, action=event.action, event=event)


def test_an_acknowledgement_only_ever_moves_forward(world: World) -> None:
    from motcua.exchange.dvcqg.outbound import record_acknowledgement

    dossier = world.submit()

    moves = [
        record_acknowledgement(dossier.code, sequence=5, status=2),
        record_acknowledgement(dossier.code, sequence=3, status=1),
        record_acknowledgement(dossier.code, sequence=5, status=2),
        record_acknowledgement(dossier.code, sequence=8, status=4),
        record_acknowledgement("H52-000000-0000", sequence=9, status=4),
    ]

    assert moves == [True, False, False, True, False]
    sync = StatusSync.objects.get(dossier=dossier)
    assert (sync.sequence, sync.status) == (8, 4)


def test_changes_made_while_the_portal_was_paused_are_sent_by_the_resync_job(
    world: World, portal: Peer, stub_pdfs: bytes
) -> None:
    from motcua.exchange.dvcqg.outbound import resync

    state = sim.PortalState(secret=SECRET, target="")
    transport = portal_transport(state)
    dossier = world.submit()
    outbox.deliver_due(worker_id="test", transport=transport)
    Peer.objects.filter(pk=portal.pk).update(active=False)
    services.record_cash_payment(dossier.pk, actor=world.pleiku.receiver)
    services.accept(dossier.pk, actor=world.pleiku.receiver)
    services.start_processing(dossier.pk, actor=world.pleiku.specialist)
    newest = dossier.events.order_by("pk").last()
    assert [r["TrangThaiHoSo"] for r in records(dossier)] == [1]  # nothing while paused
    assert resync("test") == {"posted": 0}

    Peer.objects.filter(pk=portal.pk).update(active=True)
    first = resync("test")
    again = resync("test")  # its message is on its way: nothing more
    outbox.deliver_due(worker_id="test", transport=transport)
    after_delivery = resync("test")  # acknowledged: nothing more

    assert (first, again, after_delivery) == ({"posted": 1}, {"posted": 0}, {"posted": 0})
    assert [r["SoThuTuCapNhat"] for r in records(dossier)] == [
        dossier.events.order_by("pk").first().pk,
        newest.pk,
    ]
    assert [h["status"] for h in state.snapshot()["dossiers"][dossier.code]["history"]] == [1, 4]
    assert StatusSync.objects.get(dossier=dossier).sequence == newest.pk


def test_a_fee_paid_through_the_province_gateway_is_reported_as_such(
    world: World, portal: Peer, stub_pdfs: bytes
) -> None:
    from motcua.payments import services as payments
    from motcua.payments.models import PaymentChannel

    dossier = world.submit()
    payments.mark_paid(dossier.invoice.pk, channel=PaymentChannel.ONLINE, actor="gateway:test")
    services.accept(dossier.pk, actor=world.pleiku.receiver)

    assert [r["DuocThanhToanTrucTuyen"] for r in records(dossier)] == [0, 2]


def test_a_signed_download_fetches_its_own_result_and_no_other(
    world: World, portal: Peer, stub_pdfs: bytes, client: Client
) -> None:
    first, second = world.dossier_in("approved"), world.dossier_in("approved")
    wanted = first.files.filter(kind=FileKind.RESULT).order_by("pk").first()
    other = second.files.filter(kind=FileKind.RESULT).order_by("pk").first()
    path = f"/api/dvcqg/dossiers/{first.code}/results/{wanted.pk}"
    headers = signed_headers(
        sender_code="dvcqg", secret=SECRET, message_id="tai-1", raw_body=path.encode()
    )
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}

    response = client.get(path, **extra)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == wanted.file.open("rb").read()

    # The same headers for another dossier's result, or signed over an empty body, are refused.
    stolen = client.get(f"/api/dvcqg/dossiers/{second.code}/results/{other.pk}", **extra)
    assert (stolen.status_code, stolen.json()["code"]) == (401, "peer_unauthenticated")
    empty = signed_headers(sender_code="dvcqg", secret=SECRET, message_id="tai-2", raw_body=b"")
    unbound = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in empty.items()}
    assert client.get(path, **unbound).status_code == 401
