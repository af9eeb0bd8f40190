from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "cairn.notifications"
    label = "notifications"
    verbose_name = "Notifications"
