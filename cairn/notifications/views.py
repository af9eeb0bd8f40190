"""Pages of notifications: the inbox, a person's choices, the organisation's defaults and
the mails Cairn sent, and the one-click unsubscribe of every mail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.core.access import org_view
from cairn.core.models import Membership, Role
from cairn.notifications import mail, services
from cairn.notifications.forms import ChannelsForm, DigestForm
from cairn.notifications.kinds import Channel, Kind
from cairn.notifications.models import MailState, Notification, OutgoingMail

PER_PAGE = 50


@login_required
@require_GET
def inbox(request):
    """Everything Cairn told the person, in every organisation, newest first."""
    found = Notification.objects.filter(user=request.user).select_related("organization")
    show = request.GET.get("show")
    if show == "unread":
        found = found.filter(read_at__isnull=True)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "show": show, "memberships": request.user.memberships.all()},
    )


@login_required
@require_GET
def inbox_open(request, notification_id: int):
    """Open a notification: it is marked read, and the page it is about opens."""
    note = get_object_or_404(Notification, pk=notification_id, user=request.user)
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
    safe = url_has_allowed_host_and_scheme(note.url, allowed_hosts=None)
    return redirect(note.url if note.url and safe else "inbox")


@login_required
@require_POST
def inbox_read_all(request):
    marked = Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    messages.success(request, f"{marked} marked read." if marked else "Nothing was unread.")
    return redirect("inbox")


@org_view()
@require_http_methods(["GET", "POST"])
def preferences(request):
    """What this person is told in this organisation, and how; when the digest comes."""
    membership = request.membership
    rows = services.choices_for(membership)
    current = {row["kind"].value: row["channel"] for row in rows}
    person = services.settings_for(request.user)
    data = request.POST if request.method == "POST" else None
    channels = ChannelsForm(data, current=current, prefix="c")
    digest = DigestForm(data, instance=person, prefix="d")
    if data is not None and channels.is_valid() and digest.is_valid():
        with transaction.atomic():
            services.set_choices(membership, channels.chosen())
            digest.save()
        messages.success(request, "Saved: Cairn will tell you as you chose.")
        return redirect("notifications:preferences", org_slug=request.org.slug)
    fields = {row["kind"].value: row for row in rows}
    return render(
        request,
        "notifications/preferences.html",
        {
            "channels": channels,
            "rows": [(channels[kind.value], fields[kind.value]) for kind in Kind],
            "digest": digest,
            "email": request.user.email,
            "as_names": [
                name
                for name in (
                    request.user.get_full_name(),
                    request.user.get_username(),
                    request.user.email,
                )
                if name.strip()
            ],
        },
    )


@org_view(Role.OWNER)
@require_http_methods(["GET", "POST"])
def defaults(request):
    """The organisation's defaults: what a member who chose nothing is told."""
    current = {
        row["kind"].value: row["default"] for row in services.choices_for(request.membership)
    }
    form = ChannelsForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        services.set_defaults(request.org, form.chosen())
        messages.success(request, "Saved: members who chose nothing are told as you set.")
        return redirect("notifications:defaults", org_slug=request.org.slug)
    return render(request, "notifications/defaults.html", {"form": form})


@org_view(Role.OWNER)
@require_GET
def mail_log(request):
    """The mails Cairn sent, or tried to, to this organisation's people: failures first."""
    found = OutgoingMail.objects.filter(organization=request.org).only(
        "to", "kind", "subject", "state", "attempts", "last_error", "created", "sent_at",
        "next_attempt",
    )  # fmt: skip
    state = request.GET.get("state")
    if state in MailState.values:
        found = found.filter(state=state)
    counts = OutgoingMail.objects.filter(organization=request.org).aggregate(
        **{s: Count("id", filter=Q(state=s)) for s in MailState.values}
    )
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/mail_log.html",
        {
            "page": page,
            "counts": counts,
            "state": state,
            "states": [(v, label, counts[v]) for v, label in MailState.choices],
        },
    )


@org_view(Role.OWNER)
@require_POST
def mail_retry(request, mail_id: int):
    """Send a failed mail again, now."""
    found = get_object_or_404(OutgoingMail, pk=mail_id, organization=request.org)
    if found.state == MailState.FAILED:
        OutgoingMail.objects.filter(pk=found.pk).update(
            state=MailState.QUEUED, attempts=0, next_attempt=timezone.now()
        )
        transaction.on_commit(mail.enqueue_sending)
        messages.success(request, f"The mail to {found.to} will be sent again in a moment.")
    return redirect("notifications:mail_log", org_slug=request.org.slug)


@csrf_exempt  # RFC 8058: the mail program posts without a page, so without a CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """Stop one kind of mail for one person, with no sign-in: a confirmation page (GET), and
    one click (POST, also what mail programs send for ``List-Unsubscribe-Post``)."""
    read = mail.read_unsubscribe_token(token)
    membership = None
    if read and read[1] in Kind.values:
        membership = (
            Membership.objects.select_related("organization", "user").filter(pk=read[0]).first()
        )
    if membership is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=404)
    kind = Kind(read[1])
    done = request.method == "POST"
    if done:
        services.unsubscribe(membership, kind)
    else:
        channel = {row["kind"]: row["channel"] for row in services.choices_for(membership)}[kind]
        done = channel != Channel.EMAIL  # already stopped
    response = render(
        request,
        "notifications/unsubscribe.html",
        {"membership": membership, "kind": kind, "done": done},
    )
    return response if not done or request.method == "GET" else _one_click(request, response)


def _one_click(request, response: HttpResponse) -> HttpResponse:
    """A mail program's one-click POST gets a short plain answer; a browser the page."""
    if request.POST.get("List-Unsubscribe") == "One-Click":
        return HttpResponse("Unsubscribed.\n", content_type="text/plain; charset=utf-8")
    return response
