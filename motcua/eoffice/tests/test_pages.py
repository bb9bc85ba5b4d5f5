"""The e-office pages: navigation, compose with field errors, lists with search with and
without diacritics (query counts pinned), a document's actions, and what outsiders get."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from motcua.eoffice import services
from motcua.eoffice.models import DispatchStatus, OfficialDocument
from motcua.eoffice.tests.conftest import Office
from motcua.eoffice.tests.test_workflow import issued_document

pytestmark = pytest.mark.usefixtures("rendered_once")


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_navigation_offers_documents_to_clerks_not_to_receivers(office: Office) -> None:
    clerk = client_for(office.clerk).get(reverse("backoffice:notices")).content.decode()
    receiver = client_for(office.world.pleiku.receiver).get(reverse("backoffice:notices"))

    assert f'href="{reverse("eoffice:outgoing")}"' in clerk
    assert f'href="{reverse("eoffice:outgoing")}"' not in receiver.content.decode()


def test_a_bad_compose_form_names_each_field(office: Office) -> None:
    response = client_for(office.world.pleiku.specialist).post(
        reverse("eoffice:compose"),
        {"issuer_id": office.world.pleiku.committee.pk, "doc_type": "cong-van", "summary": "",
         "content": "Nội dung", "signer_position": "Chủ tịch", "urgency": "thuong",
         "secrecy": "thuong"},
    )  # fmt: skip

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["summary"] == ["“Trích yếu” là bắt buộc."]
    assert OfficialDocument.objects.count() == 0

    response = client_for(office.world.pleiku.specialist).post(
        reverse("eoffice:compose"),
        {"issuer_id": office.world.pleiku.committee.pk, "doc_type": "cong-van",
         "summary": "Xin ý kiến", "content": "Nội dung", "signer_position": "Chủ tịch",
         "urgency": "thuong", "secrecy": "thuong"},
    )  # fmt: skip
    errors = response.context["form"].errors
    assert errors["recipient_ids"] == [
        "Văn bản phải có ít nhất một nơi nhận (Nghị định 30/2020/NĐ-CP, Điều 8)."
    ]


def test_compose_then_submit_from_the_pages(office: Office) -> None:
    client = client_for(office.world.pleiku.specialist)
    response = client.post(
        reverse("eoffice:compose"),
        {"issuer_id": office.world.pleiku.committee.pk, "doc_type": "cong-van",
         "summary": "Xin ý kiến về chứng thực", "content": "Nội dung",
         "signer_competence": "TM.", "signer_position": "Chủ tịch",
         "recipient_ids": [office.justice.pk], "urgency": "khan", "secrecy": "thuong"},
    )  # fmt: skip
    document = OfficialDocument.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "eoffice:document", args=[document.pk]
    )

    client.post(reverse("eoffice:act", args=[document.pk, "submit"]))

    document.refresh_from_db()
    assert (document.state, document.urgency) == ("in_review", "khan")
    page = client_for(office.world.pleiku.leader).get(
        reverse("eoffice:document", args=[document.pk])
    )
    assert page.context["actions"] == ["approve", "send_back"]


@pytest.mark.parametrize("query", ["chứng thực", "chung thuc", "CHUNG THUC"])
def test_search_finds_summaries_with_or_without_diacritics(
    office: Office, query: str, django_assert_num_queries: Any
) -> None:
    for summary in ("Hướng dẫn chứng thực bản sao", "Báo cáo tiếp dân", "Lịch chứng thực"):
        services.compose_document(office.draft(summary=summary), actor=office.clerk)
    client = client_for(office.clerk)
    client.get(reverse("eoffice:outgoing"))  # warm the session and the nav's memberships

    with django_assert_num_queries(7):
        response = client.get(reverse("eoffice:outgoing"), {"q": query})

    found = sorted(d.summary for d in response.context["page"].object_list)
    assert found == ["Hướng dẫn chứng thực bản sao", "Lịch chứng thực"]


def test_the_incoming_register_and_its_actions(office: Office, pki: Path) -> None:
    document = issued_document(office)
    services.dispatch_document(document.pk, actor=office.clerk)
    client = client_for(office.justice_clerk)

    listing = client.get(reverse("eoffice:incoming"))
    [entry] = listing.context["page"].object_list
    assert [t["count"] for t in listing.context["tabs"]] == [1, 0, 0, 0]
    client.post(reverse("eoffice:entry_act", args=[entry.pk, "register"]))
    bad = client.post(
        reverse("eoffice:entry_act", args=[entry.pk, "assign"]),
        {f"assign-{entry.pk}-handler_id": office.justice_handler.pk, f"assign-{entry.pk}-days": 99},
    )
    assert bad.status_code == 200
    assert bad.context["entries"][0]["assign"].errors["days"] == [
        "Thời hạn xử lý phải từ 1 đến 60 ngày làm việc."
    ]
    client.post(
        reverse("eoffice:entry_act", args=[entry.pk, "assign"]),
        {f"assign-{entry.pk}-handler_id": office.justice_handler.pk, f"assign-{entry.pk}-days": 3},
    )

    entry.dispatch.refresh_from_db()
    assert entry.dispatch.status == DispatchStatus.ACCEPTED
    sender = client_for(office.clerk).get(reverse("eoffice:document", args=[document.pk]))
    assert 'data-status="accepted"' in sender.content.decode()


def test_a_recipient_sees_the_history_from_the_issue_on_and_its_own_dispatch(
    office: Office, pki: Path
) -> None:
    document = issued_document(office)
    services.dispatch_document(document.pk, actor=office.clerk)

    sender = client_for(office.clerk).get(reverse("eoffice:document", args=[document.pk]))
    recipient = client_for(office.justice_clerk).get(
        reverse("eoffice:document", args=[document.pk])
    )

    everything = list(document.history.order_by("at", "pk"))
    since_issue = [h for h in everything if h.at >= document.issued_at]
    assert [h.pk for h in sender.context["history"]] == [h.pk for h in everything]
    assert [h.pk for h in recipient.context["history"]] == [h.pk for h in since_issue]
    assert len(since_issue) < len(everything)  # drafting, review and signing stay inside


def test_outsiders_get_not_found(office: Office) -> None:
    document = services.compose_document(office.draft(), actor=office.clerk)
    client = client_for(office.world.quynhon.leader)

    assert client.get(reverse("eoffice:document", args=[document.pk])).status_code == 404
    response = client.post(reverse("eoffice:act", args=[document.pk, "approve"]))
    assert response.status_code == 404


def form_of(draft: Any, **changes: Any) -> dict[str, Any]:
    data = {k: v for k, v in vars(draft).items() if v is not None}
    data.update(changes)
    return data


def test_a_draft_sent_back_is_edited_and_submitted_again(office: Office) -> None:
    world = office.world
    document = services.compose_document(office.draft(), actor=world.pleiku.specialist)
    services.submit_for_review(document.pk, actor=world.pleiku.specialist)
    services.send_back(document.pk, actor=world.pleiku.leader, reason="Sửa trích yếu")
    client = client_for(world.pleiku.specialist)

    page = client.get(reverse("eoffice:edit", args=[document.pk]))
    assert page.context["form"].initial["summary"] == document.summary
    response = client.post(
        reverse("eoffice:edit", args=[document.pk]),
        form_of(
            office.draft(), summary="Đề nghị hướng dẫn chứng thực điện tử", doc_type="to-trinh"
        ),
    )

    assert response.status_code == 302
    document.refresh_from_db()
    assert (document.summary, document.symbol) == (
        "Đề nghị hướng dẫn chứng thực điện tử",
        "TTr-UBND",
    )
    assert list(document.history.values_list("action", flat=True)) == [
        "composed", "submitted", "sent_back", "edited"
    ]  # fmt: skip


def test_a_replacement_is_composed_from_the_issued_document(office: Office, pki: Path) -> None:
    old = issued_document(office)
    client = client_for(office.clerk)

    page = client.get(reverse("eoffice:compose"), {"thay-the": old.pk})
    initial = page.context["form"].initial
    assert (initial["replaces_id"], initial["summary"]) == (old.pk, old.summary)
    client.post(reverse("eoffice:compose"),
                form_of(office.draft(), replaces_id=old.pk, summary="Bản thay thế"))  # fmt: skip

    new = OfficialDocument.objects.get(summary="Bản thay thế")
    assert new.replaces == old


def test_sending_to_another_system_from_the_page(office: Office, pki: Path) -> None:
    document = issued_document(office)
    client = client_for(office.clerk)

    bad = client.post(reverse("eoffice:act", args=[document.pk, "send_to_peer"]),
                      {"send_to_peer-peer_code": "", "send_to_peer-peer_name": "Sở"})  # fmt: skip
    assert bad.context["panels"]["send_to_peer"].errors["peer_code"] == [
        "“Mã định danh cơ quan nhận” là bắt buộc."
    ]
    client.post(reverse("eoffice:act", args=[document.pk, "send_to_peer"]),
                {"send_to_peer-peer_code": office.justice.code,
                 "send_to_peer-peer_name": "Sở Tư pháp (hệ thống khác)"})  # fmt: skip

    dispatch = document.dispatches.get()
    assert (dispatch.agency, dispatch.status) == (None, DispatchStatus.RECEIVED)


def test_the_pages_read_in_english(office: Office, pki: Path) -> None:
    document = issued_document(office)
    services.dispatch_document(document.pk, actor=office.clerk)
    client = client_for(office.clerk)
    client.cookies["django_language"] = "en"

    page = client.get(reverse("eoffice:document", args=[document.pk])).content.decode()
    listing = client.get(reverse("eoffice:outgoing"), {"tab": "issued"}).content.decode()

    for text in ("Recipients and their status", "Numbered, sealed and issued", "Received",
                 "Signed PDF", "Send to another system"):  # fmt: skip
        assert text in page
    assert "Outgoing documents" in listing and "Search the summaries" in listing


def test_the_incoming_list_costs_the_same_for_one_or_many(
    office: Office, pki: Path, django_assert_num_queries: Any
) -> None:
    client = client_for(office.justice_clerk)
    counts = []
    for documents in (1, 3):
        while len(client.get(reverse("eoffice:incoming")).context["page"].object_list) < documents:
            services.dispatch_document(issued_document(office).pk, actor=office.clerk)
        with django_assert_num_queries(7):
            response = client.get(reverse("eoffice:incoming"))
        counts.append(len(response.context["page"].object_list))

    assert counts == [1, 3]


def test_the_register_shows_when_each_arrival_must_be_registered(
    office: Office, pki: Path, set_now: Any
) -> None:
    """Decree 30 Art. 4: the same day, at the latest the next working day; urgent ones the
    same day. Friday 27/11/2026 16:00 → Monday 30/11 17:00, or Friday 17:00 when urgent."""
    hcm = ZoneInfo("Asia/Ho_Chi_Minh")
    set_now(datetime(2026, 11, 27, 16, 0, tzinfo=hcm))
    services.dispatch_document(issued_document(office).pk, actor=office.clerk)
    services.dispatch_document(issued_document(office, urgency="khan").pk, actor=office.clerk)
    client = client_for(office.justice_clerk)

    set_now(datetime(2026, 11, 30, 9, 0, tzinfo=hcm))
    monday = client.get(reverse("eoffice:incoming")).context["rows"]
    set_now(datetime(2026, 12, 1, 9, 0, tzinfo=hcm))
    tuesday = client.get(reverse("eoffice:incoming")).context["rows"]

    by_urgency = {r["entry"].dispatch.document.urgency: r for r in monday}
    assert by_urgency["thuong"]["register_by"] == datetime(2026, 11, 30, 17, 0, tzinfo=hcm)
    assert by_urgency["khan"]["register_by"] == datetime(2026, 11, 27, 17, 0, tzinfo=hcm)
    assert sorted((r["entry"].dispatch.document.urgency, r["late"]) for r in monday) == [
        ("khan", True), ("thuong", False)
    ]  # fmt: skip
    assert [r["late"] for r in tuesday] == [True, True]
