from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    """Data in and out: every kind of row as a CSV or .xlsx table, and the whole workbook."""

    name = "cairn.exchange"
    label = "exchange"
    verbose_name = "Data in and out"

    def ready(self):
        from cairn.core.failed_jobs import when_failed
        from cairn.core.imports import background_import_failed

        # An import whose worker was lost for good fails its job: its page says so.
        when_failed("cairn.exchange.tasks.import_rows", background_import_failed)
