from django.apps import AppConfig


class PkiConfig(AppConfig):
    name = "motcua.pki"
    label = "pki"
    verbose_name = "Ký số và xác thực chữ ký"
