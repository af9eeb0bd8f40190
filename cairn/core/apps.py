from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cairn.core"
    label = "core"
    verbose_name = "Cairn core"

    def ready(self):
        from cairn.core import dates  # noqa: F401  (registers the check that bounds every date)
