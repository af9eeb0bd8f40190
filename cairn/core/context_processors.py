from django.conf import settings


def cairn(request):
    """The site name and, inside an organisation, the person's membership of it."""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "org": getattr(request, "org", None),
        "membership": getattr(request, "membership", None),
    }
