from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "cairn.kpis"
    label = "kpis"
    verbose_name = "Ascent"
