"""The audit trail, exported: the organisation's changes (``AuditEvent``) and what happened
to its members' accounts (``SecurityEvent``: sign-ins, failed sign-ins, lockouts, second
factors, tokens), in time order, as CSV or JSON Lines, filtered by date, person and kind.

Both are read in time order from the database, in chunks, and merged as they stream: an
export of a long trail holds one chunk of each in memory, never the whole trail.
"""

from __future__ import annotations

import csv
import heapq
import io
import json
from collections.abc import Iterator
from datetime import date, datetime, time

from django import forms
from django.db.models import Q
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cairn.core.access import org_view
from cairn.core.forms import StyledForm
from cairn.core.models import AuditEvent, Membership, Role
from cairn.identity.models import SecurityEvent, SecurityKind

COLUMNS = ["when", "who", "what", "kind", "via", "object_type", "object_id", "object",
           "changes", "address", "detail"]  # fmt: skip
CHUNK = 2000
FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ExportForm(StyledForm):
    start = forms.DateField(label="From", required=False, widget=DATE)
    end = forms.DateField(label="To", required=False, widget=DATE, help_text="Both days included.")
    person = forms.CharField(label="Person", required=False, max_length=150,
                             help_text="A user name: only what they did.")  # fmt: skip
    kind = forms.ChoiceField(label="What", required=False)

    def __init__(self, *args, types: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.attrs["class"] = "form-select"
        self.fields["kind"].choices = [
            ("", "Everything"),
            ("changes", "Every change to the strategy"),
            ("security", "Every sign-in and account event"),
            *[(f"type:{value}", f"Changes to {label}") for value, label in types],
            *[(f"security:{value}", label) for value, label in SecurityKind.choices],
        ]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The last day comes before the first.")
        return data


def _bounds(data) -> Q:
    q = Q()
    if data.get("start"):
        q &= Q(created__gte=timezone.make_aware(datetime.combine(data["start"], time.min)))
    if data.get("end"):
        q &= Q(created__lte=timezone.make_aware(datetime.combine(data["end"], time.max)))
    return q


def changes(org, data) -> Iterator[dict]:
    kind = data.get("kind") or ""
    if kind == "security" or kind.startswith("security:"):
        return
    found = AuditEvent.objects.filter(_bounds(data), organization=org)
    if kind.startswith("type:"):
        found = found.filter(object_type=kind[5:])
    if data.get("person"):
        found = found.filter(actor__username=data["person"])
    for e in found.order_by("created", "id").select_related("actor").iterator(CHUNK):
        yield {
            "when": e.created,
            "who": e.actor.get_username() if e.actor else e.actor_name,
            "what": f"{e.get_action_display()} {e.type_label}",
            "kind": e.action,
            "via": e.via,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "object": e.object_repr,
            "changes": {name: [old, new] for name, old, new in e.changes()},
            "address": "",
            "detail": "",
        }


def account_events(org, data) -> Iterator[dict]:
    kind = data.get("kind") or ""
    if kind == "changes" or kind.startswith("type:"):
        return
    members = Membership.objects.filter(organization=org)
    # The members' events, and failed sign-ins typed with a member's user name.
    who = Q(user__in=members.values("user")) | Q(
        user=None, username__in=members.values("user__username")
    )
    found = SecurityEvent.objects.filter(_bounds(data), who)
    if kind.startswith("security:"):
        found = found.filter(kind=kind[9:])
    if data.get("person"):
        found = found.filter(username=data["person"])
    for e in found.order_by("created", "id").iterator(CHUNK):
        yield {
            "when": e.created,
            "who": e.username,
            "what": e.get_kind_display(),
            "kind": e.kind,
            "via": "",
            "object_type": "",
            "object_id": None,
            "object": "",
            "changes": {},
            "address": e.ip or "",
            "detail": e.detail,
        }


def trail(org, data) -> Iterator[dict]:
    """Both, merged in time order as they are read."""
    return heapq.merge(changes(org, data), account_events(org, data), key=lambda r: r["when"])


def _plain(row: dict) -> dict:
    return {**row, "when": row["when"].isoformat()}


def as_jsonl(rows: Iterator[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(_plain(row), ensure_ascii=False, default=str) + "\n"


def as_csv(rows: Iterator[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS)
    writer.writeheader()
    for row in rows:
        plain = _plain(row)
        plain["changes"] = (
            json.dumps(plain["changes"], ensure_ascii=False, default=str)
            if (plain["changes"])
            else ""
        )
        writer.writerow(plain)
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def types_of(org) -> list[tuple[str, str]]:
    values = (
        AuditEvent.objects.filter(organization=org)
        .values_list("object_type", flat=True)
        .distinct()
        .order_by("object_type")
    )
    return [(t, AuditEvent(object_type=t).type_label) for t in values]


@org_view(Role.OWNER)
@require_GET
def export(request, fmt: str):
    """The trail as a file, or the form again with what is wrong (and no file)."""
    if fmt not in FORMATS:
        return HttpResponse("Export as .csv or .jsonl.", status=404, content_type="text/plain")
    form = ExportForm(request.GET, types=types_of(request.org))
    if not form.is_valid():
        return render(request, "identity/audit_export.html", {"form": form, "fmt": fmt}, status=422)
    rows = trail(request.org, form.cleaned_data)
    body = as_csv(rows) if fmt == "csv" else as_jsonl(rows)
    response = StreamingHttpResponse(body, content_type=FORMATS[fmt])
    name = f"{request.org.slug}-audit-{date.today():%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@org_view(Role.OWNER)
@require_GET
def export_form(request):
    return render(
        request,
        "identity/audit_export.html",
        {"form": ExportForm(types=types_of(request.org)), "fmt": "csv"},
    )
