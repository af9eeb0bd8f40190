from django.utils.functional import SimpleLazyObject

from cairn.notifications.models import Notification


def unread(user) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def inbox(request):
    """The count of unread notifications for the bell in the menu: one query, and only on
    pages that show the bell."""
    user = getattr(request, "user", None)
    return {"unread_notifications": SimpleLazyObject(lambda: unread(user))}
