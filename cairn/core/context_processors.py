from django.conf import settings
from django.utils.functional import SimpleLazyObject

from cairn.core.models import Membership


def cairn(request):
    """Site name; inside an organisation, the membership and the organisation switcher."""
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "org": getattr(request, "org", None),
        "membership": getattr(request, "membership", None),
        # One query, and only on pages that show the switcher.
        "my_memberships": SimpleLazyObject(
            lambda: list(
                Membership.objects.filter(user=user).select_related("organization")
                if user is not None and user.is_authenticated
                else []
            )
        ),
    }
