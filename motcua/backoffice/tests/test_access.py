"""An officer sees and acts only within their units: anything else answers like a missing page."""

from __future__ import annotations

import pytest

from motcua.backoffice.tests.conftest import Office
from motcua.backoffice.views import ACTIONS
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.dossiers.states import State

EVERY_ACTION = sorted(ACTIONS)


@pytest.fixture
def pleiku_dossier(office: Office) -> Dossier:
    """A Pleiku dossier, received and paid, with the citizen's ID scan attached."""
    dossier = office.world.submit(uploads=[office.world.pdf()])
    services.record_cash_payment(dossier.pk, actor=office.receiver)
    return services.accept(dossier.pk, actor=office.receiver)


def test_every_desk_action_is_tested_here() -> None:
    assert EVERY_ACTION == [
        "accept",
        "answer_consultation",
        "approve",
        "assign",
        "receive_file",
        "record_cash_payment",
        "record_obligations_met",
        "refuse",
        "request_consultation",
        "request_supplement",
        "request_supplement_after_appraisal",
        "reschedule",
        "return_result",
        "send_back",
        "send_file",
        "send_to_tax",
        "start_processing",
        "stop",
        "submit_for_approval",
    ]


def test_the_outsider_gets_404_on_the_desk(office: Office, pleiku_dossier: Dossier) -> None:
    client = office.client_for(office.outsider)

    assert client.get(f"/mot-cua/ho-so/{pleiku_dossier.pk}/").status_code == 404


def test_the_outsider_gets_404_on_every_file(office: Office, pleiku_dossier: Dossier) -> None:
    client = office.client_for(office.outsider)
    files = list(pleiku_dossier.files.all())

    assert len(files) == 2  # the ID scan and the receipt slip
    for record in files:
        url = f"/mot-cua/ho-so/{pleiku_dossier.pk}/tep/{record.pk}/"
        assert client.get(url).status_code == 404
        assert client.get(url + "?tai=1").status_code == 404


@pytest.mark.parametrize("action", EVERY_ACTION)
def test_the_outsider_gets_404_on_every_action(
    office: Office, pleiku_dossier: Dossier, action: str
) -> None:
    client = office.client_for(office.outsider)
    events = DossierEvent.objects.filter(dossier=pleiku_dossier).count()

    response = client.post(
        f"/mot-cua/ho-so/{pleiku_dossier.pk}/{action}/",
        {"reason": "x", "items": "x", "note": "x", "assignee": office.outsider.pk},
    )

    assert response.status_code == 404
    assert Dossier.objects.get(pk=pleiku_dossier.pk).state == State.ACCEPTED
    assert DossierEvent.objects.filter(dossier=pleiku_dossier).count() == events


def test_a_hidden_dossier_answers_exactly_like_a_missing_one(
    office: Office, pleiku_dossier: Dossier
) -> None:
    client = office.client_for(office.outsider)

    hidden = client.get(f"/mot-cua/ho-so/{pleiku_dossier.pk}/")
    missing = client.get("/mot-cua/ho-so/999999/")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_an_anonymous_visitor_is_sent_to_sign_in_everywhere(
    office: Office, pleiku_dossier: Dossier
) -> None:
    from django.test import Client

    client = Client()
    record = pleiku_dossier.files.first()
    for url in (
        f"/mot-cua/ho-so/{pleiku_dossier.pk}/",
        f"/mot-cua/ho-so/{pleiku_dossier.pk}/tep/{record.pk}/",
        "/mot-cua/tiep-nhan/",
        "/mot-cua/tiep-nhan/2.000635/",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/mot-cua/dang-nhap/?next=")
    response = client.post(f"/mot-cua/ho-so/{pleiku_dossier.pk}/start_processing/")
    assert response.status_code == 302
    assert Dossier.objects.get(pk=pleiku_dossier.pk).state == State.ACCEPTED
