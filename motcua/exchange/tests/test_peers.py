"""Registering peers: every broken rule is named by its field; the CLI says the same."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from motcua.core.errors import InvalidInputs
from motcua.core.models import AuditEntry
from motcua.exchange import services
from motcua.exchange.models import OutboxMessage, Peer


@pytest.mark.django_db
def test_every_broken_rule_is_named_and_nothing_is_written() -> None:
    with pytest.raises(InvalidInputs) as caught:
        services.register_peer(
            code="Tỉnh Bình Định",
            name=" ",
            kind="bank",
            base_url="ftp://example",
            secret="ngan",
            agency_codes=[""],
            actor="test",
        )

    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("code", "Mã hệ thống gồm 2–64 ký tự: chữ thường không dấu, chữ số, dấu gạch ngang."),
        ("name", "Tên hệ thống là bắt buộc."),
        ("kind", "Loại hệ thống phải là một trong: portal, province, payment."),
        ("base_url", "Địa chỉ gốc phải là một địa chỉ http:// hoặc https:// đầy đủ."),
        ("secret", "Khóa bí mật dùng chung phải dài ít nhất 16 ký tự."),
        ("agency_codes", "Mã định danh cơ quan không được để trống."),
    ]
    assert Peer.objects.count() == 0
    assert AuditEntry.objects.filter(action__startswith="exchange.").count() == 0


@pytest.mark.django_db
def test_the_cli_adds_updates_lists_and_pings() -> None:
    add = [
        "peer", "add", "tinh-66", "--name", "Đắk Lắk", "--kind", "province",
        "--url", "https://motcua.daklak.example/", "--secret", "bi-mat-dung-chung-66",
        "--agency", "000.00.00.H66",
    ]  # fmt: skip
    call_command(*add, stdout=StringIO())
    call_command(*add[:4], "Tỉnh Đắk Lắk", *add[5:], stdout=StringIO())
    call_command("peer", "ping", "tinh-66", stdout=StringIO())
    listing = StringIO()
    call_command("peer", "list", stdout=listing)

    peer = Peer.objects.get()
    assert (peer.name, peer.base_url, peer.agency_codes) == (
        "Tỉnh Đắk Lắk",
        "https://motcua.daklak.example",
        ["000.00.00.H66"],
    )
    assert listing.getvalue() == (
        "tinh-66\tprovince\thttps://motcua.daklak.example\toutbox: pending 1\tinbox: 0\n"
    )
    assert OutboxMessage.objects.get().kind == "exchange.ping"
    actions = AuditEntry.objects.filter(action__startswith="exchange.").order_by("id")
    assert [a.action for a in actions] == [
        "exchange.peer_registered",
        "exchange.peer_updated",
        "exchange.peer_ping",
    ]


@pytest.mark.django_db
def test_the_cli_names_the_fields_it_refuses() -> None:
    with pytest.raises(CommandError) as caught:
        call_command(
            "peer", "add", "tinh-66", "--name", "Đắk Lắk", "--kind", "province",
            "--url", "motcua.daklak", "--secret", "ngan", stdout=StringIO(),
        )  # fmt: skip
    with pytest.raises(CommandError) as unknown:
        call_command("peer", "ping", "khong-co", stdout=StringIO())

    assert str(caught.value) == (
        "base_url: Địa chỉ gốc phải là một địa chỉ http:// hoặc https:// đầy đủ.; "
        "secret: Khóa bí mật dùng chung phải dài ít nhất 16 ký tự."
    )
    assert str(unknown.value) == "Không có hệ thống liên thông mã “khong-co”."
