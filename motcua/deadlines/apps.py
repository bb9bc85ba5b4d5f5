from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "motcua.deadlines"
    label = "deadlines"
    verbose_name = "Thời hạn giải quyết"
