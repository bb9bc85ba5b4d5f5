"""System checks that warn operators about development defaults left in production."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

DEVELOPMENT_SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105 (the known default)
SANDBOX_PAYMENT_SECRET = "sandbox-secret-change-me"  # noqa: S105 (the known default)
DEVELOPMENT_PKI_PASSPHRASE = "development-pki-passphrase-change-me"  # noqa: S105 (known default)


@register(Tags.security, deploy=False)
def development_defaults(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Outside demo and debug mode, the development secrets and the sandbox gateway are
    dangerous: anyone knowing the public default can sign payment notifications."""
    if settings.MOTCUA_DEMO or settings.DEBUG:
        return []
    warnings: list[CheckMessage] = []
    if settings.SECRET_KEY == DEVELOPMENT_SECRET_KEY:
        warnings.append(Warning("MOTCUA_SECRET_KEY is the development default.", id="motcua.W001"))
    if settings.MOTCUA_PAYMENT_SECRET == SANDBOX_PAYMENT_SECRET:
        warnings.append(
            Warning(
                "MOTCUA_PAYMENT_SECRET is the public sandbox default: payment notifications "
                "signed with it would be accepted.",
                id="motcua.W002",
            )
        )
    if settings.MOTCUA_SANDBOX_GATEWAY:
        warnings.append(
            Warning(
                "The sandbox payment gateway is enabled (MOTCUA_SANDBOX_GATEWAY=1).",
                hint="Set MOTCUA_SANDBOX_GATEWAY=0 in production.",
                id="motcua.W003",
            )
        )
    if settings.MOTCUA_PKI_PASSPHRASE == DEVELOPMENT_PKI_PASSPHRASE:
        warnings.append(
            Warning(
                "MOTCUA_PKI_PASSPHRASE is the development default: the signing keys are "
                "protected by a public passphrase.",
                hint="Set MOTCUA_PKI_PASSPHRASE and use the province's certificates.",
                id="motcua.W004",
            )
        )
    return warnings
