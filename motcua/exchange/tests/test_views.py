"""Operators' pages: what was sent and received, per peer and per dossier, and "send again"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from motcua.core.models import AuditEntry
from motcua.exchange import inbox, outbox, schedule
from motcua.exchange.models import InboxMessage, OutboxMessage, OutboxState, Peer

PAGES = [
    "/mot-cua/lien-thong/",
    "/mot-cua/lien-thong/hop-thu-di/",
    "/mot-cua/lien-thong/hop-thu-den/",
    "/mot-cua/lien-thong/tac-vu/",
    "/mot-cua/lien-thong/he-thong/tinh-binh-dinh/",
    "/mot-cua/lien-thong/ho-so/1/",  # a message about dossier 1 is posted below
]


def _post(peer: Peer, stream: str, seq: int, state: str = OutboxState.PENDING) -> OutboxMessage:
    with transaction.atomic():
        message = outbox.post(
            peer=peer, kind="test.status", payload={"seq": seq}, stream=stream,
            dedupe_key=f"{stream}:{seq}",
        )  # fmt: skip
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=state, attempts=3 if state == OutboxState.DEAD else 0,
        last_error="HTTP 500" if state == OutboxState.DEAD else "",
    )  # fmt: skip
    return message


@pytest.fixture
def admin_client(client: Client, world: Any) -> Client:
    client.force_login(world.admin)
    return client


def _rows(html: str, attribute: str) -> list[str]:
    return re.findall(rf'data-{attribute}="([^"]+)"', html)


@pytest.mark.parametrize("url", PAGES)
def test_only_province_administrators_see_the_pages(
    client: Client, world: Any, peer: Peer, url: str
) -> None:
    _post(peer, "dossier:1", 1)
    anonymous = client.get(url)
    client.force_login(world.pleiku.receiver)
    officer = client.get(url)
    client.force_login(world.admin)
    admin = client.get(url)

    assert anonymous.status_code == 302 and "/dang-nhap/" in anonymous["Location"]
    assert officer.status_code == 403
    assert admin.status_code == 200


def test_a_dossier_page_answers_404_for_an_id_that_never_was(
    admin_client: Client, world: Any, peer: Peer
) -> None:
    dossier = world.submit()
    _post(peer, "dossier:999999", 1)  # a purged dossier: its messages remain

    assert admin_client.get("/mot-cua/lien-thong/ho-so/999998/").status_code == 404
    assert admin_client.get("/mot-cua/lien-thong/ho-so/999999/").status_code == 200
    assert admin_client.get(f"/mot-cua/lien-thong/ho-so/{dossier.pk}/").status_code == 200


def test_peer_list_counts_messages_by_state(admin_client: Client, peer: Peer) -> None:
    _post(peer, "dossier:1", 1, OutboxState.DELIVERED)
    _post(peer, "dossier:1", 2, OutboxState.DEAD)
    _post(peer, "dossier:1", 3)
    inbox.receive(peer=peer, message_id="x", kind="k", payload={}, handle=lambda m: {})

    html = admin_client.get("/mot-cua/lien-thong/").content.decode()

    assert _rows(html, "peer") == ["tinh-binh-dinh"]
    assert "Đã gửi 1 · Chờ gửi 1" in html
    assert "Ngừng gửi 1" in html
    assert 'href="/mot-cua/lien-thong/hop-thu-den/?peer=tinh-binh-dinh">1</a>' in html


def test_outbox_per_dossier_shows_its_messages_and_the_query_count_is_fixed(
    admin_client: Client, peer: Peer
) -> None:
    other = Peer.objects.create(
        code="dvcqg-thu", name="Cổng thử", kind="portal", base_url="http://127.0.0.1:9",
        secret="bi-mat-dung-chung-2",
    )  # fmt: skip
    mine = [_post(peer, "dossier:5", 1), _post(other, "dossier:5", 2)]
    _post(peer, "dossier:6", 1)

    def count(url: str) -> tuple[int, str]:
        from django.db import connection

        with CaptureQueriesContext(connection) as queries:
            html = admin_client.get(url).content.decode()
        return len(queries), html

    few, html = count("/mot-cua/lien-thong/ho-so/5/")
    for seq in range(2, 12):
        _post(peer, "dossier:5", seq + 10)
    many, _html = count("/mot-cua/lien-thong/ho-so/5/")

    assert _rows(html, "message") == [str(m.pk) for m in reversed(mine)]
    assert "Tin gửi đi về hồ sơ #5" in html
    assert few == many


def test_retry_from_the_page_is_audited(admin_client: Client, world: Any, peer: Peer) -> None:
    dead = _post(peer, "dossier:1", 1, OutboxState.DEAD)
    page = "/mot-cua/lien-thong/hop-thu-di/?state=dead"
    html = admin_client.get(page).content.decode()
    assert f'action="/mot-cua/lien-thong/hop-thu-di/{dead.pk}/gui-lai/"' in html

    response = admin_client.post(
        f"/mot-cua/lien-thong/hop-thu-di/{dead.pk}/gui-lai/", {"next": page}
    )
    followed = admin_client.get(response["Location"]).content.decode()

    assert response.status_code == 302 and response["Location"] == page
    dead.refresh_from_db()
    assert (dead.state, dead.attempts) == ("pending", 0)
    assert AuditEntry.objects.filter(action="exchange.outbox_retry", actor=world.admin).count() == 1
    assert _rows(followed, "message") == []
    again = admin_client.post(f"/mot-cua/lien-thong/hop-thu-di/{dead.pk}/gui-lai/", {"next": page})
    assert (
        "Chỉ gửi lại được tin đang lỗi hoặc đã ngừng gửi."
        in admin_client.get(again["Location"]).content.decode()
    )


def test_an_officer_cannot_retry(client: Client, world: Any, peer: Peer) -> None:
    dead = _post(peer, "dossier:1", 1, OutboxState.DEAD)
    client.force_login(world.pleiku.receiver)

    response = client.post(f"/mot-cua/lien-thong/hop-thu-di/{dead.pk}/gui-lai/")

    assert response.status_code == 403
    assert OutboxMessage.objects.get(pk=dead.pk).state == OutboxState.DEAD


def test_jobs_page_shows_the_last_run_in_english(admin_client: Client, set_now: Any) -> None:
    schedule.run_job(schedule.JOBS["payments.refresh"], worker_id="w1")

    html = admin_client.get(
        "/mot-cua/lien-thong/tac-vu/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    admin_client.cookies["django_language"] = "en"
    english = admin_client.get("/mot-cua/lien-thong/tac-vu/").content.decode()

    assert _rows(html, "job") == list(schedule.JOBS)
    assert "Status queries of pending online payments" in english
    assert "Succeeded" in english
    assert "Not run yet." in english
    assert "<td>15 phút</td>" in html and "<td>1 ngày</td>" in html
    assert "<td>15 minutes</td>" in english and "<td>1 second</td>" in english


def test_the_desk_lists_what_was_sent_about_the_dossier(
    client: Client, world: Any, peer: Peer
) -> None:
    dossier = world.dossier_in("submitted")
    desk = f"/mot-cua/ho-so/{dossier.pk}/"
    client.force_login(world.pleiku.receiver)
    before = client.get(desk).content.decode()
    sent = _post(peer, f"dossier:{dossier.pk}", 1, OutboxState.DELIVERED)
    _post(peer, f"dossier:{dossier.pk + 1}", 1)

    officer = client.get(desk).content.decode()
    client.force_login(world.admin)
    admin = client.get(desk).content.decode()

    assert 'id="h-exchange"' not in before
    assert _rows(officer, "message") == [str(sent.pk)]
    assert "test.status</code> → tinh-binh-dinh" in officer
    assert f'href="/mot-cua/lien-thong/ho-so/{dossier.pk}/"' not in officer
    assert f'href="/mot-cua/lien-thong/ho-so/{dossier.pk}/"' in admin


def test_the_navigation_links_the_pages_for_administrators_only(client: Client, world: Any) -> None:
    client.force_login(world.pleiku.receiver)
    officer = client.get("/mot-cua/").content.decode()
    client.force_login(world.admin)
    admin = client.get("/mot-cua/").content.decode()

    assert 'href="/mot-cua/lien-thong/"' not in officer
    assert 'href="/mot-cua/lien-thong/"' in admin


def test_an_administrator_pauses_and_resumes_a_peer(
    admin_client: Client, world: Any, peer: Peer
) -> None:
    url = "/mot-cua/lien-thong/he-thong/tinh-binh-dinh/ket-noi/"

    paused = admin_client.post(url, {"active": "0"})
    page = admin_client.get("/mot-cua/lien-thong/").content.decode()
    state_after_pause = Peer.objects.get(pk=peer.pk).active
    admin_client.post(url, {"active": "1"})

    assert paused.status_code == 302
    assert state_after_pause is False
    assert "Đã tạm ngừng gửi tin đến Hệ thống một cửa tỉnh bạn." in page
    assert "Kết nối lại" in page
    assert Peer.objects.get(pk=peer.pk).active is True
    entries = AuditEntry.objects.filter(action="exchange.peer_active", actor=world.admin)
    assert [e.data for e in entries.order_by("id")] == [{"active": False}, {"active": True}]
    admin_client.force_login(world.pleiku.receiver)
    assert admin_client.post(url, {"active": "0"}).status_code == 403


def test_a_message_shows_what_was_sent_and_answered_and_the_view_is_recorded(
    admin_client: Client, world: Any, peer: Peer
) -> None:
    message = _post(peer, "dossier:3", 1, OutboxState.DELIVERED)
    OutboxMessage.objects.filter(pk=message.pk).update(response={"MaHoSo": "H52-Đã nhận"})

    html = admin_client.get(f"/mot-cua/lien-thong/hop-thu-di/{message.pk}/").content.decode()

    assert "{\n  &quot;seq&quot;: 1\n}" in html
    assert "H52-Đã nhận" in html
    entry = AuditEntry.objects.get(action="personal_data.viewed", actor=world.admin)
    assert (entry.object_id, entry.data) == (str(message.pk), {"purpose": "exchange.outbox"})
    assert admin_client.get("/mot-cua/lien-thong/hop-thu-di/999999/").status_code == 404


def test_page_links_keep_the_filters(admin_client: Client, peer: Peer) -> None:
    for seq in range(55):
        _post(peer, "dossier:8", seq, OutboxState.DEAD)

    html = admin_client.get("/mot-cua/lien-thong/hop-thu-di/?stream=dossier:8&state=dead")
    text = html.content.decode()

    assert len(_rows(text, "message")) == 50
    assert 'href="?stream=dossier%3A8&amp;state=dead&amp;page=2"' in text


def test_an_inbound_message_shows_what_came_and_what_we_answered(
    admin_client: Client, world: Any, peer: Peer
) -> None:
    inbox.receive(
        peer=peer, message_id="m-7", kind="exchange.ping", payload={"seq": 7},
        handle=lambda m: {"pong": True},
    )  # fmt: skip
    message = InboxMessage.objects.get()

    listing = admin_client.get("/mot-cua/lien-thong/hop-thu-den/").content.decode()
    html = admin_client.get(f"/mot-cua/lien-thong/hop-thu-den/{message.pk}/").content.decode()

    assert f'href="/mot-cua/lien-thong/hop-thu-den/{message.pk}/"' in listing
    assert "<code>m-7</code>" in html
    assert "&quot;pong&quot;: true" in html
    entry = AuditEntry.objects.get(action="personal_data.viewed")
    assert (entry.object_id, entry.data) == (str(message.pk), {"purpose": "exchange.inbox"})
