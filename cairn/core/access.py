"""The one way a view reaches an organisation and its rows.

``org_view`` resolves ``/o/<org_slug>/`` to the request's membership (404 for
anyone who is not a member, so ids and names do not leak) and refuses a role
that is too low with 403. ``get_object_for_member`` then fetches a row of that
organisation only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from cairn.core.models import Membership, Role

M = TypeVar("M", bound=models.Model)


def get_membership(user, org_slug: str) -> Membership:
    """The user's membership of the organisation with this slug, or 404."""
    if not user.is_authenticated:
        raise Http404
    try:
        return Membership.objects.select_related("organization").get(
            user=user, organization__slug=org_slug
        )
    except Membership.DoesNotExist:
        raise Http404("No such organisation") from None


def org_view(role: Role = Role.VIEWER) -> Callable:
    """Decorate a view under ``/o/<org_slug>/``: sign-in, membership and minimum role.

    Sets ``request.org`` and ``request.membership``; the view receives ``org_slug``
    no more.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, org_slug: str, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = get_membership(request.user, org_slug)
            if not membership.has_role(role):
                raise PermissionDenied(
                    "You can read this organisation but not change it."
                    if role == Role.EDITOR
                    else "Only an owner of this organisation can do this."
                )
            request.membership = membership
            request.org = membership.organization
            return view(request, *args, **kwargs)

        wrapper.minimum_role = role  # read by the isolation test
        return wrapper

    return decorator


def get_object_for_member(request: HttpRequest, queryset: type[M] | models.QuerySet, pk: int) -> M:
    """A row of the request's organisation by id, or 404 (also for other organisations' ids)."""
    if isinstance(queryset, type):
        queryset = queryset.objects.all()
    return get_object_or_404(queryset.filter(organization=request.org), pk=pk)
