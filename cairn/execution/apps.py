from django.apps import AppConfig


class ExecutionConfig(AppConfig):
    name = "cairn.execution"
    label = "execution"
    verbose_name = "Execution"

    def ready(self):
        from cairn.core.failed_jobs import when_failed
        from cairn.core.imports import background_import_failed

        # An import whose worker was lost for good fails its job: its page says so.
        when_failed("cairn.execution.tasks.import_actuals", background_import_failed)
