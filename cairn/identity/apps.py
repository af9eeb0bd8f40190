from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "cairn.identity"
    label = "identity"
    verbose_name = "Identity and security"
