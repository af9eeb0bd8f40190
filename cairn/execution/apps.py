from django.apps import AppConfig


class ExecutionConfig(AppConfig):
    name = "cairn.execution"
    label = "execution"
    verbose_name = "Execution"
