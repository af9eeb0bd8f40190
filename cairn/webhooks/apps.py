from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "cairn.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
