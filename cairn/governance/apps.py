from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "cairn.governance"
    label = "governance"
    verbose_name = "Guideposts"
