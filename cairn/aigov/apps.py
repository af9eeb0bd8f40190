from django.apps import AppConfig


class AigovConfig(AppConfig):
    name = "cairn.aigov"
    label = "aigov"
    verbose_name = "AI governance"
