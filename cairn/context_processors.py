from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from cairn.core.models import Membership

REVIEW_SOON_DAYS = 31  # a review due within a month shows in the menu


def my_memberships(user) -> list[Membership]:
    """The user's organisations for the switcher, each with how many strategy reviews are due
    within a month or overdue (``reviews_due``, for the menu's badge): one query."""
    if user is None or not user.is_authenticated:
        return []
    review = apps.get_model("governance", "Review")
    soon = timezone.localdate() + timedelta(days=REVIEW_SOON_DAYS)
    due = (
        review.objects.filter(
            organization=OuterRef("organization"), completed_on=None, due__lte=soon
        )
        .values("organization")
        .annotate(n=Count("*"))
        .values("n")
    )
    return list(
        Membership.objects.filter(user=user)
        .select_related("organization")
        .annotate(reviews_due=Coalesce(Subquery(due, output_field=IntegerField()), 0))
    )


def cairn(request):
    """Site name; inside an organisation, the membership and the organisation switcher."""
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "org": getattr(request, "org", None),
        "membership": getattr(request, "membership", None),
        # One query, and only on pages that show the switcher.
        "my_memberships": SimpleLazyObject(lambda: my_memberships(user)),
    }
