"""Reconciliation with the national portal: dossiers in step, on their way, lagging; an
operator posts a lagging dossier's status at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from motcua.conftest import World
from motcua.core import clock
from motcua.core.models import AuditEntry
from motcua.dossiers.states import NATIONAL_STATUS
from motcua.exchange.dvcqg import reconciliation
from motcua.exchange.dvcqg.outbound import STATUS_KIND, record_acknowledgement
from motcua.exchange.models import OutboxMessage, OutboxState, Peer

pytestmark = pytest.mark.django_db


def _acknowledge_everything(dossier: object) -> None:
    for message in OutboxMessage.objects.filter(stream=f"dossier:{dossier.pk}"):  # type: ignore[attr-defined]
        record = message.payload["data"][0]
        record_acknowledgement(
            record["MaHoSo"], sequence=record["SoThuTuCapNhat"], status=record["TrangThaiHoSo"]
        )
        OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxState.DELIVERED)


def test_dossiers_are_counted_in_step_on_their_way_or_lagging(
    world: World, portal: Peer, stub_pdfs: bytes
) -> None:
    in_step = world.dossier_in("accepted")
    _acknowledge_everything(in_step)
    on_its_way = world.dossier_in("submitted")  # its status message waits in the outbox
    portal.active = False
    portal.save()
    lagging = world.dossier_in("accepted")  # changed while the portal was paused: nothing sent
    portal.active = True
    portal.save()

    report = reconciliation.reconcile(since=clock.now() - timedelta(days=1))

    assert (report.total, report.in_step, report.on_its_way, report.lagging) == (3, 1, 1, 1)
    rows = {row.dossier.code: row for row in report.rows}
    assert set(rows) == {on_its_way.code, lagging.code}
    assert rows[lagging.code].local_status == NATIONAL_STATUS["accepted"]
    assert rows[lagging.code].acknowledged_status is None
    assert rows[lagging.code].message is None
    waiting = OutboxMessage.objects.get(stream=f"dossier:{on_its_way.pk}")
    assert rows[on_its_way.code].message == waiting


def test_an_operator_posts_a_lagging_dossier_now_and_it_is_audited(
    world: World, portal: Peer, stub_pdfs: bytes, client: Client
) -> None:
    portal.active = False
    portal.save()
    lagging = world.dossier_in("accepted")
    portal.active = True
    portal.save()
    client.force_login(world.admin)

    page = client.get(reverse("exchange:reconciliation"))
    assert page.status_code == 200
    assert f'data-dossier="{lagging.code}"' in page.content.decode()

    response = client.post(reverse("exchange:resync", args=[lagging.pk]))

    assert response.status_code == 302
    posted = OutboxMessage.objects.get(kind=STATUS_KIND, stream=f"dossier:{lagging.pk}")
    newest = lagging.events.order_by("-pk").first()
    assert posted.payload["data"][0]["SoThuTuCapNhat"] == newest.pk
    assert posted.payload["data"][0]["TrangThaiHoSo"] == NATIONAL_STATUS["accepted"]
    assert AuditEntry.objects.filter(action="dvcqg.resync", object_id=str(lagging.pk)).exists()

    with pytest.raises(reconciliation.NothingToResync) as refused:
        reconciliation.resync_dossier(lagging.pk, actor=world.admin)
    assert refused.value.code == "nothing_to_resync"


def test_officers_of_a_commune_do_not_see_the_reconciliation(
    world: World, portal: Peer, client: Client
) -> None:
    client.force_login(world.pleiku.leader)

    assert client.get(reverse("exchange:reconciliation")).status_code == 403
    assert client.post(reverse("exchange:resync", args=[1])).status_code == 403
