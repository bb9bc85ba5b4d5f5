"""Officers' sign-in: throttling, the TOTP second factor, recovery codes, the admin's door.

TOTP codes are computed here from the enrolled secret with RFC 6238's own arithmetic
(HMAC-SHA1, 30-second steps, 6 digits), not with the library under test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from motcua.accounts.models import LoginThrottle
from motcua.conftest import PASSWORD, World
from motcua.core.models import AuditEntry

LOGIN = "/mot-cua/dang-nhap/"
VERIFY = "/mot-cua/dang-nhap/xac-thuc/"
ENROL = "/mot-cua/xac-thuc-hai-buoc/"
WORKLIST = "/mot-cua/"
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def totp(secret_base32: str, at: float | None = None) -> str:
    """RFC 6238 with the RFC 4226 truncation."""
    key = base64.b32decode(secret_base32)
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def enrol(client: Client) -> tuple[str, list[str]]:
    """Open the enrolment page, read the secret, confirm; returns (secret, recovery codes)."""
    page = client.get(ENROL).content.decode()
    secret = re.search(r'class="totp-secret">([A-Z2-7]+)<', page)
    assert secret is not None
    done = client.post(ENROL, {"token": totp(secret[1])})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    return secret[1], codes


@pytest.fixture
def clock(set_now: Any) -> Any:
    moments = {"now": NOON}

    def move(**delta: float) -> None:
        moments["now"] += timedelta(**delta)
        set_now(moments["now"])

    set_now(NOON)
    return move


@pytest.fixture
def required(settings: Any) -> None:
    settings.MOTCUA_TOTP_REQUIRED = "leader,admin"
    settings.MOTCUA_DEMO = False


# --- throttling ---------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_pair_for_fifteen_minutes(
    world: World, clock: Any, settings: Any
) -> None:
    assert (settings.MOTCUA_LOGIN_MAX_FAILURES, settings.MOTCUA_LOGIN_LOCKOUT_MINUTES) == (5, 15)
    client = Client()
    for attempt in range(1, 5):
        assert sign_in(client, "tn.phuongpleiku", "sai-mat-khau").status_code == 200
        assert LoginThrottle.objects.get().failures == attempt

    fifth = sign_in(client, "tn.phuongpleiku", "sai-mat-khau")
    assert fifth.status_code == 429
    assert "Đã đăng nhập sai 5 lần liên tiếp" in fifth.content.decode()
    assert "thử lại sau 15 phút" in fifth.content.decode()

    clock(minutes=9, seconds=30)
    right_but_locked = sign_in(client, "tn.phuongpleiku")
    assert right_but_locked.status_code == 429
    assert "thử lại sau 6 phút" in right_but_locked.content.decode()
    assert right_but_locked.wsgi_request.user.is_anonymous

    other_address = sign_in(Client(), "tn.phuongpleiku", REMOTE_ADDR="10.1.2.3")
    assert other_address.status_code == 302

    clock(minutes=6)
    assert sign_in(client, "tn.phuongpleiku").status_code == 302
    assert not LoginThrottle.objects.filter(failures__gt=0, locked_until__isnull=True).exists()


def test_the_lock_message_is_in_english_for_an_english_reader(world: World, clock: Any) -> None:
    client = Client()
    client.cookies["django_language"] = "en"
    for _ in range(5):
        response = sign_in(client, "ld.phuongpleiku", "wrong")

    assert response.status_code == 429
    assert "5 failed sign-ins in a row" in response.content.decode()
    assert "try again in 15 minutes" in response.content.decode()


def test_a_failure_long_ago_does_not_count_towards_the_lock(world: World, clock: Any) -> None:
    client = Client()
    for _ in range(4):
        sign_in(client, "tn.phuongpleiku", "sai")
    clock(minutes=16)

    assert sign_in(client, "tn.phuongpleiku", "sai").status_code == 200
    assert LoginThrottle.objects.get().failures == 1


def test_the_throttle_table_holds_no_usernames(world: World, clock: Any) -> None:
    sign_in(Client(), "tn.phuongpleiku", "sai")

    row = LoginThrottle.objects.get()
    assert "phuongpleiku" not in row.key and len(row.key) == 64


# --- second factor ------------------------------------------------------------------------------


def test_a_leader_must_enrol_an_authenticator_before_entering(world: World, required: None) -> None:
    client = Client()

    response = sign_in(client, "ld.phuongpleiku")

    assert response.status_code == 302 and response["Location"] == ENROL
    assert client.get(WORKLIST).status_code == 302  # not signed in yet
    page = client.get(ENROL).content.decode()
    assert 'src="data:image/svg+xml' in page
    assert "Tài khoản của bạn phải đăng nhập bằng xác thực hai bước." in page
    secret = re.search(r'class="totp-secret">([A-Z2-7]+)<', page)
    assert secret is not None

    wrong = client.post(ENROL, {"token": "000000" if totp(secret[1]) != "000000" else "111111"})
    assert "Mã xác thực không đúng hoặc đã hết hạn." in wrong.content.decode()
    assert client.get(WORKLIST).status_code == 302

    done = client.post(ENROL, {"token": totp(secret[1])})
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    assert len(set(codes)) == 10
    assert client.get(WORKLIST).status_code == 200
    device = TOTPDevice.objects.get(user=world.pleiku.leader)
    assert device.confirmed
    assert AuditEntry.objects.filter(
        action="accounts.totp_enrolled", object_id=str(world.pleiku.leader.pk)
    ).exists()


def test_an_enrolled_officer_gives_the_code_after_the_password(
    world: World, required: None
) -> None:
    first = Client()
    sign_in(first, "ld.phuongpleiku")
    secret, _codes = enrol(first)
    client = Client()

    response = sign_in(client, "ld.phuongpleiku")
    assert response["Location"] == VERIFY
    assert client.get(WORKLIST).status_code == 302
    wrong = client.post(VERIFY, {"token": "12345"})
    assert "Mã xác thực không đúng hoặc đã hết hạn." in wrong.content.decode()

    # The enrolment spent this 30-second step's code (no replay): the next step's is accepted
    # (one step of drift either way).
    right = client.post(VERIFY, {"token": totp(secret, time.time() + 30)})
    assert right.status_code == 302 and right["Location"] == WORKLIST
    assert client.get(WORKLIST).status_code == 200
    assert client.session["otp_device_id"].startswith("otp_totp.totpdevice/")


def test_a_recovery_code_opens_once(world: World, required: None) -> None:
    first = Client()
    sign_in(first, "ld.phuongpleiku")
    _secret, codes = enrol(first)

    client = Client()
    sign_in(client, "ld.phuongpleiku")
    assert client.post(VERIFY, {"token": codes[3]})["Location"] == WORKLIST

    again = Client()
    sign_in(again, "ld.phuongpleiku")
    refused = again.post(VERIFY, {"token": codes[3]})
    assert refused.status_code == 422
    assert again.get(WORKLIST).status_code == 302
    assert AuditEntry.objects.filter(action="accounts.recovery_code_used").count() == 1


def test_wrong_codes_count_towards_the_lock(world: World, required: None, clock: Any) -> None:
    client = Client()
    sign_in(client, "ld.phuongpleiku")
    enrol(client)
    client = Client()
    sign_in(client, "ld.phuongpleiku")

    for _ in range(5):
        response = client.post(VERIFY, {"token": "99999999"})

    assert response.status_code == 429
    assert "thử lại sau 15 phút" in response.content.decode()


def test_a_receiver_enters_with_the_password_alone_unless_all_must(
    world: World, required: None, settings: Any
) -> None:
    assert sign_in(Client(), "tn.phuongpleiku")["Location"] == WORKLIST

    settings.MOTCUA_TOTP_REQUIRED = "all"

    assert sign_in(Client(), "tn.phuongpleiku")["Location"] == ENROL


def test_in_demo_mode_the_leader_may_skip_the_second_factor(
    world: World, required: None, settings: Any
) -> None:
    settings.MOTCUA_DEMO = True

    assert sign_in(Client(), "ld.phuongpleiku")["Location"] == WORKLIST


def test_the_verification_page_needs_the_password_first(world: World) -> None:
    response = Client().get(VERIFY)

    assert response.status_code == 302 and response["Location"] == LOGIN


def test_a_signed_in_officer_may_enrol_of_their_own_accord(world: World) -> None:
    client = Client()
    client.force_login(world.pleiku.receiver)

    _secret, codes = enrol(client)

    assert len(codes) == 10
    assert TOTPDevice.objects.filter(user=world.pleiku.receiver, confirmed=True).count() == 1


def test_the_admin_site_signs_in_through_the_officers_page(world: World) -> None:
    response = Client().get("/quan-tri/login/?next=/quan-tri/")

    assert response.status_code == 302
    assert response["Location"] == "/mot-cua/dang-nhap/?next=%2Fquan-tri%2F"


def test_the_next_address_must_stay_on_this_site(world: World) -> None:
    response = Client().post(
        LOGIN,
        {"username": "tn.phuongpleiku", "password": PASSWORD, "next": "https://example.org/"},
    )

    assert response["Location"] == WORKLIST


# --- passwords ----------------------------------------------------------------------------------


def test_an_officer_password_has_twelve_characters_at_least() -> None:
    with pytest.raises(ValidationError) as raised:
        validate_password("Pleiku#2026")  # 11 characters

    assert [e.code for e in raised.value.error_list] == ["password_too_short"]
    validate_password("Pleiku#2026!")
