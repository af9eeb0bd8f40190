from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "cairn.identity"
    label = "identity"
    verbose_name = "Identity and security"

    def ready(self) -> None:
        from cairn.identity import receivers  # noqa: F401 - connects the receivers
        from cairn.identity import sessions, throttle  # noqa: F401 - their receivers
