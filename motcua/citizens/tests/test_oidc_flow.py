"""The citizen's sign-in through OpenID Connect, end to end against a real provider on
127.0.0.1: discovery, consent, code + PKCE exchange, ID token checks, the citizen session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client
from django.urls import reverse

from motcua.citizens.models import Citizen
from motcua.citizens.session import SESSION_KEY
from motcua.citizens.tests.provider import CLIENT_ID, CLIENT_SECRET, Provider
from motcua.core.audit import AuditEntry

AN = {"sub": "vneid-an", "name": "Nguyễn Văn An", "personal_id_number": "064090001234"}
BINH_FORM = {
    "requester_name": "Trần Thị Bình",
    "requester_id_number": "064192005678",
    "requester_birth_date": "1992-03-03",
    "subject_name": "Trần Thị Bình",
}


@pytest.fixture
def provider(settings: Any) -> Iterator[Provider]:
    server = Provider(identity=dict(AN))
    server.start()
    settings.MOTCUA_OIDC_ISSUER = server.issuer
    settings.MOTCUA_OIDC_CLIENT_ID = CLIENT_ID
    settings.MOTCUA_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.MOTCUA_OIDC_SCOPES = "openid profile"
    settings.MOTCUA_OIDC_ID_CLAIM = "personal_id_number"
    yield server
    server.stop()


def _to_callback(client: Client, provider: Provider) -> str:
    """Start the sign-in, consent at the provider over HTTP; return the callback's path+query."""
    start = client.get(reverse("citizens:sign_in"))
    assert start.status_code == 302
    authorize = urlsplit(start["Location"])
    assert f"{authorize.scheme}://{authorize.netloc}" == provider.issuer
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert params["code_challenge_method"] == "S256"
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["state"] and params["nonce"] and params["code_challenge"]
    consent = httpx.get(start["Location"])
    assert consent.status_code == 200 and "Allow" in consent.text
    answer = httpx.post(f"{provider.issuer}/authorize", data=params)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert back.path == reverse("citizens:callback")
    return f"{back.path}?{back.query}"


def _sign_in(client: Client, provider: Provider) -> None:
    response = client.get(_to_callback(client, provider))
    assert response.status_code == 302
    assert response["Location"] == reverse("citizens:my_dossiers")


def test_my_dossiers_lists_exactly_the_citizens_own(
    world: Any, provider: Provider, client: Client, django_assert_num_queries: Any
) -> None:
    mine = {world.submit().code, world.submit(commune=world.quynhon).code}
    other = world.submit(form=world.form(**BINH_FORM)).code

    _sign_in(client, provider)

    citizen = Citizen.objects.get()
    assert (citizen.id_number, citizen.full_name, citizen.subject) == (
        AN["personal_id_number"],
        AN["name"],
        AN["sub"],
    )
    assert not hasattr(citizen, "memberships")  # not an officer model at all
    with django_assert_num_queries(5):  # session, citizen, dossiers, audit (savepoint + row)
        page = client.get(reverse("citizens:my_dossiers"))
    html = page.content.decode()
    assert page.status_code == 200
    listed = {code for code in mine | {other} if code in html}
    assert listed == mine
    assert AuditEntry.objects.filter(action="citizen.signed_in", object_id=str(citizen.pk)).exists()


def test_rows_link_to_the_dossier_page_and_the_form_is_prefilled(
    world: Any, provider: Provider, client: Client
) -> None:
    dossier = world.submit()
    _sign_in(client, provider)
    page = client.get(reverse("citizens:my_dossiers")).content.decode()
    assert reverse("portal:dossier", args=[dossier.access_token]) in page
    assert "Đăng xuất" in page and "Đăng nhập VNeID" not in page

    form = client.get(
        reverse("portal:apply", args=[dossier.procedure.code]),
        {"center": dossier.receiving_agency.slug},
    ).content.decode()
    assert 'value="Nguyễn Văn An"' in form
    assert 'value="064090001234"' in form


def test_sign_out_ends_the_citizen_session(world: Any, provider: Provider, client: Client) -> None:
    _sign_in(client, provider)
    assert client.session[SESSION_KEY] == Citizen.objects.get().pk
    assert client.post(reverse("citizens:sign_out")).status_code == 302
    assert SESSION_KEY not in client.session
    page = client.get(reverse("citizens:my_dossiers"))
    assert page.status_code == 302 and page["Location"] == reverse("citizens:sign_in")


def test_a_tampered_state_is_refused(world: Any, provider: Provider, client: Client) -> None:
    callback = _to_callback(client, provider)
    path, query = callback.split("?")
    params = {k: v[0] for k, v in parse_qs(query).items()}
    params["state"] = params["state"][:-2] + "xx"
    response = client.get(path, params)
    assert response.status_code == 400
    assert 'data-code="oidc_state"' in response.content.decode()
    assert "Phiên đăng nhập không khớp" in response.content.decode()
    assert SESSION_KEY not in client.session
    client.cookies["django_language"] = "en"
    english = client.get(path, params)
    assert english.status_code == 400
    assert "sign-in session does not match" in english.content.decode()


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ({"nonce": "not-the-nonce"}, "&#x27;nonce&#x27;"),
        ({"aud": "another-client"}, "&#x27;aud&#x27;"),
        ({"iss": "http://127.0.0.1:9/"}, "&#x27;iss&#x27;"),
        ({"expires_in": -600}, "expired"),  # beyond the 120 s leeway
    ],
)
def test_a_wrong_nonce_audience_issuer_or_expiry_is_refused(
    world: Any, provider: Provider, client: Client, tamper: dict[str, Any], reason: str
) -> None:
    provider.tamper = tamper
    response = client.get(_to_callback(client, provider))
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-code="oidc_id_token"' in html
    assert reason in html  # the library names the failing claim
    assert "ID token" in html
    assert not Citizen.objects.exists()
    assert SESSION_KEY not in client.session


def test_an_invalid_id_number_claim_is_refused(
    world: Any, provider: Provider, client: Client
) -> None:
    provider.identity = {**AN, "personal_id_number": "999090001234"}
    response = client.get(_to_callback(client, provider))
    assert response.status_code == 400
    assert 'data-code="oidc_id_invalid"' in response.content.decode()
    assert not Citizen.objects.exists()


def test_an_officer_session_does_not_grant_citizen_pages(world: Any, client: Client) -> None:
    client.force_login(world.pleiku.receiver)
    page = client.get(reverse("citizens:my_dossiers"))
    assert page.status_code == 302 and page["Location"] == reverse("citizens:sign_in")
    refused = client.get(reverse("citizens:sign_in"))
    assert refused.status_code == 400
    assert 'data-code="oidc_officer_session"' in refused.content.decode()


def test_a_citizen_session_does_not_grant_the_back_office(
    world: Any, provider: Provider, client: Client
) -> None:
    _sign_in(client, provider)
    response = client.get("/mot-cua/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("backoffice:login"))
    assert not client.session.get("_auth_user_id")


@pytest.mark.parametrize(
    ("identity", "code"),
    [
        ({"sub": "x", "name": "Nguyễn Văn An"}, "oidc_id_missing"),
        ({"sub": "x", "personal_id_number": "064090001234"}, "oidc_name_missing"),
        (
            {"sub": "x", "name": "Nguyễn Văn An", "personal_id_number": "06409000123"},
            "oidc_id_invalid",
        ),
    ],
)
def test_missing_or_malformed_identity_claims_are_refused(
    world: Any, provider: Provider, client: Client, identity: dict[str, str], code: str
) -> None:
    provider.identity = identity
    response = client.get(_to_callback(client, provider))
    assert response.status_code == 400
    assert f'data-code="{code}"' in response.content.decode()
    assert not Citizen.objects.exists()


def test_the_portal_header_offers_vneid_sign_in(world: Any, client: Client) -> None:
    page = client.get(reverse("portal:home")).content.decode()
    assert reverse("citizens:sign_in") in page and "Đăng nhập VNeID" in page
    assert reverse("citizens:my_dossiers") not in page


def test_sign_in_without_configuration_says_what_is_missing(
    world: Any, client: Client, settings: Any
) -> None:
    settings.MOTCUA_OIDC_ISSUER = ""
    response = client.get(reverse("citizens:sign_in"))
    assert response.status_code == 400
    assert "MOTCUA_OIDC_ISSUER" in response.content.decode()
