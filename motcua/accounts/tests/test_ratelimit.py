"""Rate limits on the public endpoints: budgets per address and group, 429 with Retry-After."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client, RequestFactory

from motcua.accounts import ratelimit
from motcua.accounts.models import RateCounter
from motcua.conftest import World
from motcua.org.services import issue_api_token

# 10:00:20 UTC: the minute's window ends at 10:01:00 (40 s on), the hour's at 11:00:00.
MOMENT = datetime(2026, 12, 4, 10, 0, 20, tzinfo=UTC)
TRACK = "/api/dossiers/track/H52.23575.01-261204-0001"


def _track(client: Client, ip: str = "10.0.0.1", **extra: Any) -> Any:
    return client.get(TRACK, REMOTE_ADDR=ip, **extra)


@pytest.fixture
def limits(settings: Any, set_now: Any) -> Any:
    set_now(MOMENT)
    settings.MOTCUA_RATE_LIMITS = "lookup=3/minute,upload=2/minute,submit=1/hour"
    return settings


@pytest.mark.django_db
def test_the_request_after_the_budget_gets_429_with_retry_after(limits: Any) -> None:
    client = Client()
    statuses = [_track(client).status_code for _ in range(3)]
    assert statuses == [404, 404, 404]  # an unknown code, answered: counted, not refused

    refused = _track(client)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"  # 10:00:20 → 10:01:00
    assert refused.json() == {
        "code": "rate_limited",
        "message": "Quá nhiều yêu cầu từ địa chỉ của bạn: tối đa 3 yêu cầu mỗi phút. "
        "Vui lòng thử lại sau 40 giây.",
    }
    english = _track(client, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 429
    assert english.json()["message"] == (
        "Too many requests from your address: at most 3 requests per minute. "
        "Please try again in 40 seconds."
    )
    assert RateCounter.objects.get().count == 5


@pytest.mark.django_db
def test_a_new_window_starts_the_count_again(limits: Any, set_now: Any) -> None:
    client = Client()
    for _ in range(3):
        _track(client)
    assert _track(client).status_code == 429
    set_now(MOMENT + timedelta(seconds=39))  # 10:00:59, same window
    assert _track(client)["Retry-After"] == "1"

    set_now(MOMENT + timedelta(seconds=40))  # 10:01:00, the next window
    assert _track(client).status_code == 404
    # The ended window's row was deleted when the new one opened.
    assert list(RateCounter.objects.values_list("count", flat=True)) == [1]


@pytest.mark.django_db
def test_two_addresses_are_counted_apart(limits: Any) -> None:
    client = Client()
    for _ in range(3):
        _track(client, ip="10.0.0.1")
    assert _track(client, ip="10.0.0.1").status_code == 429
    assert [_track(client, ip="10.0.0.2").status_code for _ in range(3)] == [404] * 3
    assert _track(client, ip="10.0.0.2").status_code == 429


@pytest.mark.django_db
def test_groups_are_counted_apart(limits: Any) -> None:
    client = Client()
    for _ in range(3):
        _track(client)
    assert _track(client).status_code == 429
    # The signature verification upload has its own budget.
    assert client.post("/api/signatures/verify", REMOTE_ADDR="10.0.0.1").status_code != 429


@pytest.mark.django_db
def test_officers_signed_in_are_not_limited(limits: Any, world: World) -> None:
    client = Client()
    client.force_login(world.pleiku.receiver)
    assert {_track(client).status_code for _ in range(6)} == {404}
    assert not RateCounter.objects.exists()


@pytest.mark.django_db
def test_bearer_clients_are_not_limited_but_a_wrong_key_is(limits: Any, world: World) -> None:
    key = issue_api_token(world.pleiku.receiver, "tich hop")
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert {_track(client, **auth).status_code for _ in range(6)} == {404}
    wrong = {"HTTP_AUTHORIZATION": "Bearer mc_not-a-key"}
    # A wrong key is refused (401), and still counted against the address's budget.
    assert [_track(client, **wrong).status_code for _ in range(4)] == [401, 401, 401, 429]


@pytest.mark.django_db
def test_limits_off_means_off(limits: Any) -> None:
    limits.MOTCUA_RATE_LIMITS = "off"
    client = Client()
    assert {_track(client).status_code for _ in range(10)} == {404}
    assert not RateCounter.objects.exists()


@pytest.mark.django_db
def test_the_tests_run_with_limits_off() -> None:
    assert settings.MOTCUA_RATE_LIMITS == "off"
    assert ratelimit.current_limits() == {}


@pytest.mark.django_db
def test_a_page_over_the_budget_shows_the_error_page(limits: Any) -> None:
    client = Client()
    for _ in range(2):
        assert client.post("/xac-thuc/", REMOTE_ADDR="10.0.0.1").status_code != 429
    refused = client.post("/xac-thuc/", REMOTE_ADDR="10.0.0.1")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"
    assert refused["Content-Type"].startswith("text/html")
    page = refused.content.decode()
    assert "Quá nhiều yêu cầu" in page
    assert "tối đa 2 yêu cầu mỗi phút" in page

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.post("/xac-thuc/", REMOTE_ADDR="10.0.0.1").content.decode()
    assert "Too many requests" in english
    assert "at most 2 requests per minute. Please try again in 40 seconds." in english


@pytest.mark.django_db
def test_submissions_have_an_hourly_budget(limits: Any) -> None:
    client = Client()
    first = client.post("/nop-ho-so/2.000635/", REMOTE_ADDR="10.0.0.1")
    assert first.status_code != 429
    second = client.post("/nop-ho-so/2.000635/", REMOTE_ADDR="10.0.0.1")
    assert second.status_code == 429
    assert second["Retry-After"] == str(59 * 60 + 40)  # 10:00:20 → 11:00:00
    api = client.post("/api/dossiers", {}, content_type="application/json", REMOTE_ADDR="10.0.0.1")
    assert api.status_code == 429
    assert api.json()["code"] == "rate_limited"
    # The form itself is not a submission.
    assert client.get("/nop-ho-so/2.000635/", REMOTE_ADDR="10.0.0.1").status_code != 429


@pytest.mark.parametrize(
    ("method", "path", "group"),
    [
        ("post", "/nop-ho-so/2.000635/", "submit"),
        ("get", "/nop-ho-so/2.000635/", None),
        ("post", "/ho-so/abc/bo-sung/", "submit"),
        ("get", "/ho-so/abc/", "lookup"),
        ("get", "/tra-cuu/", "lookup"),
        ("get", "/xac-thuc/", "lookup"),
        ("post", "/xac-thuc/", "upload"),
        ("get", "/xac-thuc/H52.23575.01-261204-0001/", "lookup"),
        ("get", "/danh-gia/abc/", "lookup"),
        ("post", "/danh-gia/abc/", "feedback"),
        ("post", "/api/dossiers", "submit"),
        ("get", "/api/dossiers/track/X", "lookup"),
        ("post", "/api/signatures/verify", "upload"),
        ("get", "/api/signatures/dossiers/X", "lookup"),
        ("get", "/api/dossiers/by-token", "lookup"),
        ("post", "/api/dossiers/by-token/withdraw", "submit"),
        ("post", "/api/dossiers/by-token/rating", "feedback"),
        ("post", "/api/dossiers/by-token/complaints", "feedback"),
        # The peers' inbound API is authenticated and not limited by address; nor is the
        # officers' back office, nor the catalog.
        ("post", "/api/lien-thong/tin-nhan", None),
        ("post", "/api/dvcqg/dossiers", None),
        ("post", "/api/edxml", None),
        ("get", "/api/dossiers/12", None),
        ("get", "/api/procedures", None),
        ("get", "/mot-cua/", None),
        ("post", "/mot-cua/dang-nhap/", None),
        ("get", "/", None),
    ],
)
def test_endpoint_groups(method: str, path: str, group: str | None) -> None:
    request = getattr(RequestFactory(), method)(path)
    assert ratelimit.group_of(request) == group


def test_a_malformed_setting_is_refused_with_the_rule() -> None:
    assert ratelimit.parse_limits("on") == ratelimit.DEFAULT_LIMITS
    assert ratelimit.parse_limits("lookup=120/hour")["lookup"] == ratelimit.Limit(120, 3600)
    with pytest.raises(ImproperlyConfigured, match="MOTCUA_RATE_LIMITS: 'lookup=many/minute'"):
        ratelimit.parse_limits("lookup=many/minute")
    with pytest.raises(ImproperlyConfigured, match="'search=5/minute'"):
        ratelimit.parse_limits("search=5/minute")


THREADS = 8
PER_THREAD = 5
BUDGET = 20


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_are_all_counted(settings: Any, set_now: Any) -> None:
    """8 threads × 5 requests at once from one address: exactly the budget passes."""
    set_now(MOMENT)
    settings.MOTCUA_RATE_LIMITS = f"lookup={BUDGET}/minute"
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def request_many() -> None:
        client = Client()
        try:
            barrier.wait(timeout=30)
            for _ in range(PER_THREAD):
                status = _track(client).status_code
                with lock:
                    statuses.append(status)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=request_many) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sorted(statuses) == [404] * BUDGET + [429] * (THREADS * PER_THREAD - BUDGET)
    assert RateCounter.objects.get().count == THREADS * PER_THREAD
