"""Pages of sign-in safety: ending one's other sessions, an owner's list of locked-out
members, and the password reset form with its hourly limit."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cairn.core.access import org_view
from cairn.core.models import Membership, Role
from cairn.identity import throttle
from cairn.identity.sessions import active_sessions, end_other_sessions, end_session
from cairn.identity.templatetags.sessions import device
from cairn.notifications import accounts


@login_required
@require_POST
def session_end(request):
    """End one of the person's other sessions (the form names it by its row's id)."""
    try:
        pk = int(request.POST.get("session", ""))
    except ValueError:
        raise Http404 from None
    row = get_object_or_404(
        active_sessions(request.user).exclude(session_key=request.session.session_key), pk=pk
    )
    end_session(row, request=request)
    messages.success(request, f"{device(row.user_agent)} is signed out.")
    return redirect("profile")


@login_required
@require_POST
def sessions_end_others(request):
    count = end_other_sessions(request.user, keep=request.session.session_key, request=request)
    if count:
        messages.success(request, "You are signed out everywhere else.")
    else:
        messages.info(request, "You were signed in nowhere else.")
    return redirect("profile")


@org_view(Role.OWNER)
@require_http_methods(["GET", "POST"])
def locked_members(request):
    """The organisation's members locked out of signing in now, each with Unlock."""
    members = Membership.objects.filter(organization=request.org).select_related("user")
    by_name = {m.user.get_username(): m for m in members}
    if request.method == "POST":
        username = request.POST.get("username", "")
        if username not in by_name:  # only this organisation's members
            raise Http404
        throttle.unlock(username, actor=request.user, request=request)
        messages.success(request, f"{username} can sign in again.")
        return redirect("locked_members", org_slug=request.org.slug)
    locked = throttle.locked_usernames(by_name)
    return render(
        request,
        "identity/locked_members.html",
        {
            "locked": [by_name[name] for name in sorted(locked)],
            "limit": settings.AXES_FAILURE_LIMIT,
            "wait": throttle.minutes_text(throttle.cool_off()),
        },
    )


# The reset form of the notifications app, limited per hour (throttle.limit_password_reset).
password_reset = throttle.limit_password_reset(accounts.password_reset)
