from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "cairn.identity"
    label = "identity"
    verbose_name = "Identity and security"

    def ready(self) -> None:
        # Importing them connects their receivers.
        from cairn.identity import receivers, second_factor, sessions, throttle  # noqa: F401
