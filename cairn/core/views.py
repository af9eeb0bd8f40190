"""Pages of the core: set-up, organisations, members, invitations, tokens, activity."""

from __future__ import annotations

import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.core import services, signals, trash
from cairn.core.access import get_object_for_member, org_view
from cairn.core.errors import (
    BUSY_MESSAGE,
    RETRY_AFTER,
    UNAVAILABLE_MESSAGE,
    UNAVAILABLE_RETRY_AFTER,
    database_busy,
    database_unavailable,
)
from cairn.core.forms import (
    ApiTokenForm,
    InvitationForm,
    OrganizationForm,
    PasswordForm,
    PersonForm,
    RoleForm,
    SetupForm,
    SignUpForm,
)
from cairn.core.models import (
    ApiToken,
    AuditEvent,
    Invitation,
    Membership,
    Organization,
    Role,
    TrashEntry,
)


@require_http_methods(["GET", "POST"])
def setup(request):
    """First run: the first person creates their account and first organisation."""
    if User.objects.exists():
        raise Http404
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user, org = services.create_first_user(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            org_name=form.cleaned_data["organization_name"],
        )
        login(request, user, backend=settings.CAIRN_PASSWORD_BACKEND)
        messages.success(request, f"Welcome to Cairn. {org} is ready for its strategy.")
        return redirect("org_home", org_slug=org.slug)
    return render(request, "core/setup.html", {"form": form})


@login_required
@require_GET
def home(request):
    """Where signing in lands: the one organisation, or a choice of several."""
    memberships = list(Membership.objects.filter(user=request.user).select_related("organization"))
    if len(memberships) == 1:
        return redirect("org_home", org_slug=memberships[0].organization.slug)
    return render(request, "core/home.html", {"memberships": memberships})


@org_view(Role.EDITOR)
@require_POST
def checklist_dismiss(request):
    """Hide the getting-started checklist from the dashboard (its own page keeps it)."""
    services.dismiss_checklist(request.org, actor=request.user)
    messages.success(request, "The checklist is hidden; it stays under Getting started.")
    return redirect("org_home", org_slug=request.org.slug)


@org_view(Role.OWNER)
@require_http_methods(["GET", "POST"])
def organization_settings(request):
    org = request.org
    form = OrganizationForm(request.POST or None, instance=Organization.objects.get(pk=org.pk))
    if request.method == "POST" and form.is_valid():
        services.update_organization(
            org, {k: form.cleaned_data[k] for k in form.fields}, actor=request.user
        )
        messages.success(request, "Settings saved.")
        return redirect("organization_settings", org_slug=org.slug)
    return render(request, "core/organization_form.html", {"form": form})


@org_view()
@require_GET
def activity(request):
    """The audit trail of the organisation, newest first."""
    events = AuditEvent.objects.filter(organization=request.org)
    kind = request.GET.get("type", "")
    if kind:
        events = events.filter(object_type=kind)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    types = (
        AuditEvent.objects.filter(organization=request.org)
        .values_list("object_type", flat=True)
        .distinct()
        .order_by("object_type")
    )
    choices = [(t, AuditEvent(object_type=t).type_label) for t in types]
    trash.purge_trash(request.org)  # entries past 30 days go when the page is opened
    deleted = TrashEntry.objects.filter(organization=request.org).select_related("deleted_by")
    return render(
        request,
        "core/activity.html",
        {"page": page, "types": choices, "kind": kind, "trash": list(deleted)},
    )


@org_view(Role.OWNER)
@require_http_methods(["GET", "POST"])
def organization_delete(request):
    """Delete the organisation and all its data, once its exact name has been typed."""
    org = request.org
    error = ""
    if request.method == "POST":
        if request.POST.get("name", "") == org.name:
            name = org.name
            org.delete()  # every row of the organisation goes with it (on_delete=CASCADE)
            messages.success(request, f"Deleted the organisation {name} and all its data.")
            return redirect("/")
        error = "Type the organisation's name exactly as shown to delete it."
    return render(request, "core/organization_delete.html", {"error": error})


@org_view(Role.EDITOR)
@require_POST
def trash_restore(request, entry_id: int):
    """Undo a delete: put the row and those deleted with it back."""
    entry = get_object_or_404(TrashEntry, pk=entry_id, organization=request.org)
    try:
        trash.restore_entry(entry, actor=request.user)
    except services.ServiceError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"Restored: {entry.label}")
    return redirect("activity", org_slug=request.org.slug)


def _members_page(request, form: InvitationForm, status: int = 200):
    org = request.org
    context = {
        "members": Membership.objects.filter(organization=org).select_related("user"),
        "invitations": (
            Invitation.objects.filter(organization=org, accepted_at__isnull=True).select_related(
                "created_by"
            )
            if request.membership.is_owner
            else []
        ),
        "form": form,
        "roles": Role,
        "new_link": request.session.pop("new_invitation_link", None),
    }
    return render(request, "core/members.html", context, status=status)


@org_view()
@require_GET
def members(request):
    return _members_page(request, InvitationForm())


@org_view(Role.OWNER)
@require_POST
def invitation_create(request):
    form = InvitationForm(request.POST)
    if not form.is_valid():  # the page again, each problem under its field
        return _members_page(request, form, status=422)
    email = form.cleaned_data["email"]
    invitation, key = services.create_invitation(
        request.org,
        role=form.cleaned_data["role"],
        label=form.cleaned_data["label"],
        email=email,
        actor=request.user,
    )
    # Shown once on the next page, then gone: only the hash is stored.
    request.session["new_invitation_link"] = {
        "label": invitation.label,
        "url": request.build_absolute_uri(reverse("join", args=[key])),
        "email": email,
    }
    return redirect("members", org_slug=request.org.slug)


@org_view(Role.OWNER)
@require_POST
def invitation_revoke(request, invitation_id: int):
    invitation = get_object_for_member(request, Invitation, invitation_id)
    services.revoke_invitation(invitation, actor=request.user)
    messages.success(request, f"The link for {invitation.label} no longer works.")
    return redirect("members", org_slug=request.org.slug)


@org_view(Role.OWNER)
@require_POST
def member_role(request, member_id: int):
    membership = get_object_for_member(
        request, Membership.objects.select_related("user"), member_id
    )
    form = RoleForm(request.POST)
    try:
        if not form.is_valid():
            raise services.ServiceError("Pick one of the roles offered.")
        services.change_role(membership, form.cleaned_data["role"], actor=request.user)
        messages.success(request, f"{membership.user} is now {membership.get_role_display()}.")
    except services.ServiceError as e:
        messages.error(request, str(e))
    return redirect("members", org_slug=request.org.slug)


@org_view(Role.OWNER)
@require_POST
def member_remove(request, member_id: int):
    membership = get_object_for_member(
        request, Membership.objects.select_related("user"), member_id
    )
    try:
        services.remove_member(membership, actor=request.user)
        messages.success(request, f"{membership.user} no longer has access.")
    except services.ServiceError as e:
        messages.error(request, str(e))
    if membership.user_id == request.user.id:
        return redirect("home")
    return redirect("members", org_slug=request.org.slug)


@require_http_methods(["GET", "POST"])
def join(request, key: str):
    """Use a one-time invitation link: sign up (or use the signed-in account) and join."""
    invitation = services.find_invitation(key)
    if invitation is None:
        return render(request, "core/join_invalid.html", status=404)
    form = None if request.user.is_authenticated else SignUpForm(request.POST or None)
    if request.method == "POST" and (form is None or form.is_valid()):
        user = request.user if form is None else form.save()
        try:
            services.accept_invitation(invitation, user)
        except services.ServiceError as e:
            messages.error(request, str(e))
            return redirect("home")
        if form is not None:
            login(request, user, backend=settings.CAIRN_PASSWORD_BACKEND)
        messages.success(request, f"Welcome to {invitation.organization}.")
        return redirect("org_home", org_slug=invitation.organization.slug)
    return render(request, "core/join.html", {"invitation": invitation, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The person's own page: their name and e-mail address, organisations and API tokens.
    Two forms post here; the details form says so in its hidden ``form`` field."""
    posted = request.POST if request.method == "POST" else None
    details = posted is not None and posted.get("form") == "details"
    form = ApiTokenForm(None if details else posted, user=request.user)
    person_form = PersonForm(posted if details else None, user=request.user)
    new_key = None
    status = 200
    if details:
        if person_form.is_valid():
            try:
                services.update_person(
                    request.user,
                    first_name=person_form.cleaned_data["first_name"],
                    last_name=person_form.cleaned_data["last_name"],
                    email=person_form.cleaned_data["email"],
                )
            except services.ServiceError as e:  # taken a moment ago by another account
                person_form.add_error("email", str(e))
            else:
                messages.success(request, "Your name and e-mail address are saved.")
                return redirect("profile")
        status = 422
    elif posted is not None and form.is_valid():
        data = form.cleaned_data
        organization = (
            Organization.objects.filter(pk=data["organization"]).first()
            if data["organization"]
            else None
        )
        token, new_key = services.create_api_token(
            request.user,
            data["name"],
            scope=data["scope"],
            days=data["days"],
            organization=organization,
        )
        signals.token_created.send(sender=ApiToken, token=token, request=request)
        form = ApiTokenForm(user=request.user)
    elif posted is not None:
        status = 422
    return render(
        request,
        "core/profile.html",
        {
            "form": form,
            "person_form": person_form,
            "new_key": new_key,
            "tokens": request.user.api_tokens.select_related("organization"),
            "now": timezone.now(),
            "memberships": request.user.memberships.select_related("organization"),
        },
        status=status,
    )


@login_required
@require_POST
def token_delete(request, token_id: int):
    token = get_object_or_404(request.user.api_tokens, pk=token_id)
    signals.token_revoked.send(sender=ApiToken, token=token, request=request)
    token.delete()
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("profile")


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else "You cannot do this here."
    return render(request, "403.html", {"message": message}, status=403)


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def _error_page(title: str, message: str, status: int) -> HttpResponse:
    """A standalone error page: no menu, so nothing to query from a database that failed."""
    html = render_to_string("error.html", {"title": title, "message": message})
    return HttpResponse(html, status=status)


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2**20
        message = f"The request is larger than the limit of {limit} MB. Send it in smaller parts."
        return _error_page("Too large to send", message, 413)
    message = "The request could not be read. Reload the page and try again."
    return _error_page("We could not read that request", message, 400)


def server_error(request):
    """Every uncaught error ends here (after it is logged); one the database raised because
    another change held it for longer than the busy timeout is a 503 to retry, not a fault."""
    exc = sys.exc_info()[1]
    if database_busy(exc):
        response = _error_page("Busy saving another change", BUSY_MESSAGE, 503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    if database_unavailable(exc):
        response = _error_page("Cairn is not available", UNAVAILABLE_MESSAGE, 503)
        response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
        response.api_detail = UNAVAILABLE_MESSAGE
        return response
    return _error_page(
        "Something went wrong", "The error was logged. Please try again in a moment.", 500
    )


class PasswordChange(SuccessMessageMixin, auth_views.PasswordChangeView):
    """The person changes their own password from their profile; they stay signed in."""

    form_class = PasswordForm
    template_name = "core/password_change.html"
    success_url = reverse_lazy("profile")
    success_message = "Your password is changed. Use the new one next time you sign in."
