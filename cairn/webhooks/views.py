"""Pages of webhooks, for owners: the list, add, change, delete, one webhook's deliveries and
its test button."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Max, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.core.access import get_object_for_member, org_view
from cairn.core.models import Role
from cairn.core.services import ServiceError
from cairn.webhooks import services
from cairn.webhooks.forms import WebhookForm
from cairn.webhooks.models import DeliveryState, Event, Webhook, WebhookDelivery

SHOWN_DELIVERIES = 50
SESSION_SECRET = "new_webhook_secret"  # shown once on the next page, then gone


def _url(request, name: str, *args) -> str:
    return reverse(f"webhooks:{name}", args=[request.org.slug, *args])


@org_view(Role.OWNER)
@require_GET
def webhook_list(request):
    """Every webhook of the organisation, with how its recent deliveries went."""
    hooks = Webhook.objects.filter(organization=request.org).annotate(
        sent=Count("deliveries", filter=Q(deliveries__state=DeliveryState.SENT)),
        failed=Count("deliveries", filter=Q(deliveries__state=DeliveryState.FAILED)),
        waiting=Count("deliveries", filter=Q(deliveries__state=DeliveryState.QUEUED)),
        last_sent=Max("deliveries__delivered_at"),
    )
    return render(request, "webhooks/list.html", {"webhooks": hooks, "events": Event.choices})


@org_view(Role.OWNER)
@require_http_methods(["GET", "POST"])
def webhook_create(request):
    form = WebhookForm(request.POST or None, organization=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            webhook, secret = services.create_webhook(
                request.org, form.values(), actor=request.user
            )
        except ServiceError as e:
            form.add_error(None, str(e))
        else:
            request.session[SESSION_SECRET] = {"id": webhook.pk, "secret": secret}
            messages.success(request, f"Webhook added: {webhook}")
            return redirect(_url(request, "detail", webhook.pk))
    return render(
        request,
        "webhooks/form.html",
        {"form": form, "title": "Add a webhook", "cancel_url": _url(request, "list")},
    )


@org_view(Role.OWNER)
@require_http_methods(["GET", "POST"])
def webhook_edit(request, webhook_id: int):
    webhook = get_object_for_member(request, Webhook, webhook_id)
    form = WebhookForm(request.POST or None, instance=webhook, organization=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_webhook(webhook, form.values(), actor=request.user)
        except ServiceError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"Webhook saved: {webhook}")
            return redirect(_url(request, "detail", webhook.pk))
    return render(
        request,
        "webhooks/form.html",
        {
            "form": form,
            "webhook": webhook,
            "title": f"Change the webhook “{webhook}”",
            "cancel_url": _url(request, "detail", webhook.pk),
        },
    )


@org_view(Role.OWNER)
@require_http_methods(["GET", "POST"])
def webhook_delete(request, webhook_id: int):
    webhook = get_object_for_member(request, Webhook, webhook_id)
    if request.method == "POST":
        services.delete_webhook(webhook, actor=request.user)
        messages.success(request, f"Deleted: {webhook}")
        return redirect(_url(request, "list"))
    return render(
        request,
        "core/confirm_delete.html",
        {
            "object": webhook,
            "noun": "webhook",
            "cancel_url": _url(request, "detail", webhook.pk),
            "consequences": "Cairn stops telling this address anything at once, and the log "
            "of what was sent to it is deleted with it.",
        },
    )


@org_view(Role.OWNER)
@require_GET
def webhook_detail(request, webhook_id: int):
    """One webhook: what it is told, its secret (in full only just after it was made) and its
    last deliveries."""
    webhook = get_object_for_member(request, Webhook, webhook_id)
    new = request.session.get(SESSION_SECRET)
    secret = None
    if new and new.get("id") == webhook.pk:
        secret = new["secret"]
        del request.session[SESSION_SECRET]
    deliveries = WebhookDelivery.objects.filter(webhook=webhook)
    return render(
        request,
        "webhooks/detail.html",
        {
            "webhook": webhook,
            "secret": secret,
            "deliveries": list(deliveries[:SHOWN_DELIVERIES]),
            "shown": SHOWN_DELIVERIES,
        },
    )


@org_view(Role.OWNER)
@require_POST
def webhook_test(request, webhook_id: int):
    webhook = get_object_for_member(request, Webhook, webhook_id)
    services.send_test(webhook, actor=request.user)
    messages.success(
        request,
        "A test message is on its way. Reload this page in a moment to see the answer.",
    )
    return redirect(_url(request, "detail", webhook.pk))
