from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "cairn.portfolio"
    label = "portfolio"
    verbose_name = "Path"
