from django.apps import AppConfig


class LanguageConfig(AppConfig):
    name = "cairn.language"
    label = "language"
    verbose_name = "Plain language"
