"""Operators are warned about development defaults outside demo mode."""

from typing import Any

from motcua.core.checks import development_defaults


def test_production_like_settings_with_defaults_are_warned(settings: Any) -> None:
    settings.MOTCUA_DEMO = False
    settings.DEBUG = False
    settings.SECRET_KEY = "insecure-development-key-change-me"
    settings.MOTCUA_PAYMENT_SECRET = "sandbox-secret-change-me"
    settings.MOTCUA_SANDBOX_GATEWAY = True
    settings.MOTCUA_PKI_PASSPHRASE = "development-pki-passphrase-change-me"

    ids = [message.id for message in development_defaults()]

    assert ids == ["motcua.W001", "motcua.W002", "motcua.W003", "motcua.W004"]


def test_real_secrets_without_the_sandbox_pass(settings: Any) -> None:
    settings.MOTCUA_DEMO = False
    settings.DEBUG = False
    settings.SECRET_KEY = "a-real-secret-from-the-vault-0123456789"
    settings.MOTCUA_PAYMENT_SECRET = "gateway-issued-secret"
    settings.MOTCUA_SANDBOX_GATEWAY = False
    settings.MOTCUA_PKI_PASSPHRASE = "a-real-passphrase-from-the-vault"

    assert development_defaults() == []


def test_demo_mode_is_not_warned(settings: Any) -> None:
    settings.MOTCUA_DEMO = True

    assert development_defaults() == []
