from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    """Data in and out: every kind of row as a CSV or .xlsx table, and the whole workbook."""

    name = "cairn.exchange"
    label = "exchange"
    verbose_name = "Data in and out"
