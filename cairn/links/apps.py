from django.apps import AppConfig


class LinksConfig(AppConfig):
    name = "cairn.links"
    label = "links"
    verbose_name = "Suggested links"
