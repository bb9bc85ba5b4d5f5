from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Personal data (Decree 13/2023/NĐ-CP): retention and purge, the data subject's copy."""

    name = "motcua.privacy"
    label = "privacy"
    verbose_name = "Dữ liệu cá nhân"
