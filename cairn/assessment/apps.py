from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "cairn.assessment"
    label = "assessment"
    verbose_name = "Terrain"

    def ready(self):
        from cairn.core.failed_jobs import when_failed
        from cairn.core.imports import background_import_failed

        # An import whose worker was lost for good fails its job: its page says so.
        when_failed("cairn.assessment.tasks.import_inventory", background_import_failed)
