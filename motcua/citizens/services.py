"""Business verbs for citizens: sign-in from validated identity claims."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from motcua.citizens.models import Citizen
from motcua.citizens.oidc import CitizenSignInError
from motcua.core import audit, clock
from motcua.core.errors import InvalidInput
from motcua.org.idnumbers import validate_id_number

logger = logging.getLogger(__name__)


def sign_in(*, claims: dict[str, Any], actor: Any = None) -> Citizen:
    """Find or create the citizen the validated ID token names, and note the sign-in."""
    claim = settings.MOTCUA_OIDC_ID_CLAIM
    raw_number = claims.get(claim)
    if not isinstance(raw_number, str) or not raw_number:
        raise CitizenSignInError(
            _("Mã thông báo định danh thiếu số định danh cá nhân (trường “%(claim)s”)."),
            code="oidc_id_missing",
            claim=claim,
        )
    try:
        number = validate_id_number(raw_number, field=claim)
    except InvalidInput as error:
        raise CitizenSignInError(
            _("Số định danh cá nhân do nhà cung cấp trả về không hợp lệ: %(reason)s"),
            code="oidc_id_invalid",
            reason=error.message,
        ) from error
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CitizenSignInError(
            _("Mã thông báo định danh thiếu họ và tên (trường “name”)."),
            code="oidc_name_missing",
        )
    now = clock.now()
    with transaction.atomic():
        citizen, created = Citizen.objects.select_for_update().get_or_create(
            id_number=number,
            defaults={
                "full_name": name.strip()[:100],
                "subject": str(claims.get("sub", ""))[:255],
                "created_at": now,
                "last_sign_in_at": now,
            },
        )
        if not created:
            citizen.full_name = name.strip()[:100]
            citizen.subject = str(claims.get("sub", ""))[:255]
            citizen.last_sign_in_at = now
            citizen.save(update_fields=["full_name", "subject", "last_sign_in_at"])
        audit.record("citizen.signed_in", citizen, actor=actor or f"citizen:{citizen.pk}")
    logger.info("citizen signed in: citizen=%s created=%s", citizen.pk, created)
    return citizen
