from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "cairn.transfer"
    label = "transfer"
    verbose_name = "Whole organisations"
