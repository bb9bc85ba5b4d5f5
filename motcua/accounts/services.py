"""Officers' sign-in: throttling of failed attempts and the TOTP second factor.

Throttling counts consecutive failures per (username, client address): after
``MOTCUA_LOGIN_MAX_FAILURES`` the pair is locked for ``MOTCUA_LOGIN_LOCKOUT_MINUTES``, correct
password or not. A success clears the count. The second factor is django-otp's TOTP device
(RFC 6238, 30-second steps, 6 digits) plus ten single-use recovery codes (a static device).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
from datetime import timedelta
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from motcua.accounts.models import LoginThrottle
from motcua.core import audit, clock
from motcua.core.errors import InvalidInput, MotcuaError
from motcua.org.models import Role, User

logger = logging.getLogger(__name__)

RECOVERY_CODES = 10
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery"
ISSUER = "motcua"


class LoginLocked(MotcuaError):
    """Too many failed sign-ins from this address for this username."""

    code = "login_locked"
    status = 429
    default_message = _(
        "Đã đăng nhập sai %(count)s lần liên tiếp: tài khoản tạm khóa trên máy này. "
        "Vui lòng thử lại sau %(minutes)s phút."
    )


# --- throttling ---------------------------------------------------------------------------------


def throttle_key(username: str, ip: str | None) -> str:
    return hashlib.sha256(f"{username.strip().lower()}|{ip or '-'}".encode()).hexdigest()


def check_not_locked(username: str, ip: str | None) -> None:
    """Raise ``LoginLocked`` while the (username, address) pair is locked."""
    now = clock.now()
    row = LoginThrottle.objects.filter(key=throttle_key(username, ip)).first()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        minutes = math.ceil((row.locked_until - now).total_seconds() / 60)
        raise LoginLocked(count=row.failures, minutes=minutes)


def record_failure(username: str, ip: str | None) -> int:
    """Count one failed attempt; lock the pair when it reaches the limit. Returns the count.

    A failure older than the lockout period starts the count again.
    """
    now = clock.now()
    window = timedelta(minutes=settings.MOTCUA_LOGIN_LOCKOUT_MINUTES)
    with transaction.atomic():
        row, created = LoginThrottle.objects.select_for_update().get_or_create(
            key=throttle_key(username, ip), defaults={"last_failure_at": now}
        )
        if not created and now - row.last_failure_at > window:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= settings.MOTCUA_LOGIN_MAX_FAILURES:
            row.locked_until = now + window
        row.save()
    if row.locked_until is not None and row.locked_until > now:
        logger.warning("accounts.login_locked failures=%s key=%s", row.failures, row.key[:12])
    return row.failures


def clear_failures(username: str, ip: str | None) -> None:
    LoginThrottle.objects.filter(key=throttle_key(username, ip)).delete()


# --- second factor ------------------------------------------------------------------------------


def second_factor_required(user: User) -> bool:
    """Whether ``user`` must sign in with a second factor (``MOTCUA_TOTP_REQUIRED``).

    ``leader,admin`` (the default) names the roles that must; ``all`` means every officer;
    an empty value nobody. In demo mode the factor stays optional; an officer who enrolled is
    asked for it all the same.
    """
    if settings.MOTCUA_DEMO:
        return False
    wanted = {part.strip() for part in settings.MOTCUA_TOTP_REQUIRED.split(",") if part.strip()}
    if "all" in wanted:
        return True
    if user.is_superuser and Role.ADMIN in wanted:
        return True
    return user.memberships.filter(role__in=wanted).exists()


def has_second_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def start_enrolment(user: User) -> TOTPDevice:
    """The officer's unconfirmed authenticator (a new secret each time one is started)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device: TOTPDevice = TOTPDevice.objects.create(
        user=user, name=TOTP_DEVICE_NAME, confirmed=False
    )
    return device


def pending_device(user: User, device_id: int) -> TOTPDevice | None:
    device: TOTPDevice | None = TOTPDevice.objects.filter(
        user=user, pk=device_id, confirmed=False
    ).first()
    return device


def provisioning_uri(device: TOTPDevice) -> str:
    return str(device.config_url)


def secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode()


def qr_svg_data_uri(device: TOTPDevice) -> str:
    """The provisioning address as a QR code (SVG data URI) for the authenticator app."""
    return str(segno.make(provisioning_uri(device), error="m").svg_data_uri(scale=5))


@transaction.atomic
def confirm_enrolment(device_id: int, token: str, *, actor: User) -> list[str]:
    """Confirm the authenticator with its current code; replace any earlier authenticator and
    recovery codes. Returns the new recovery codes (shown once)."""
    device = pending_device(actor, device_id)
    if device is None:
        raise InvalidInput(
            _("Phiên đăng ký đã hết, vui lòng bắt đầu lại."), field="token", code="enrolment_gone"
        )
    if not device.verify_token(_digits(token)):
        raise InvalidInput(
            _("Mã xác thực không đúng hoặc đã hết hạn."), field="token", code="token_invalid"
        )

    TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(actor)

    audit.record("accounts.totp_enrolled", actor, actor=actor)
    logger.info("accounts.totp_enrolled user=%s", actor.pk)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def verify_second_factor(user: User, token: str) -> Any:
    """The device that accepts ``token`` (authenticator code or unused recovery code), or
    raise ``InvalidInput``. A recovery code is spent by its use."""
    cleaned = token.strip().replace(" ", "")
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(_digits(cleaned)):
            return device
    for static in StaticDevice.objects.filter(user=user, confirmed=True):
        if static.verify_token(cleaned.lower()):
            audit.record("accounts.recovery_code_used", user, actor=user)
            logger.info("accounts.recovery_code_used user=%s", user.pk)
            return static
    raise InvalidInput(
        _("Mã xác thực không đúng hoặc đã hết hạn."), field="token", code="token_invalid"
    )


def _digits(token: str) -> str:
    return "".join(ch for ch in token if not ch.isspace())
