from django.apps import AppConfig


class EofficeConfig(AppConfig):
    name = "motcua.eoffice"
    label = "eoffice"
    verbose_name = "Văn phòng điện tử"
