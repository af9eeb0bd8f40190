from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "cairn.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from cairn.core import signals
        from cairn.notifications import receivers

        signals.invitation_created.connect(
            receivers.invitation_mail, dispatch_uid="notifications.invitation_mail"
        )
