from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Officers' sign-in: login throttling, TOTP second factor, web security checks."""

    name = "motcua.accounts"
    label = "accounts"
    verbose_name = "Đăng nhập cán bộ"

    def ready(self) -> None:
        from django.contrib import admin

        from motcua.accounts import checks, views  # noqa: F401  (registers the system checks)

        # The admin site's own login would skip throttling and the second factor.
        admin.site.login = views.admin_login  # type: ignore[method-assign]
