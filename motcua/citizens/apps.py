from django.apps import AppConfig


class CitizensConfig(AppConfig):
    """Citizens' sign-in through an OpenID Connect provider (VNeID in production)."""

    name = "motcua.citizens"
    label = "citizens"
    verbose_name = "Công dân đăng nhập"
