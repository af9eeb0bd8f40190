from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "cairn.kpis"
    label = "kpis"
    verbose_name = "Ascent"

    def ready(self):
        from cairn.core.failed_jobs import when_failed
        from cairn.core.imports import background_import_failed

        # An import whose worker was lost for good fails its job: its page says so.
        when_failed("cairn.kpis.tasks.import_measurements", background_import_failed)
