from django.apps import AppConfig


class DrillConfig(AppConfig):
    name = "motcua.drill"
    label = "drill"
    verbose_name = "Diễn tập"
