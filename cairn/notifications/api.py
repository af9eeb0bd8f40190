"""REST endpoints of notifications: the caller's inbox, their choices in an organisation,
the organisation's defaults, and the mails sent (owners)."""

from datetime import datetime

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from cairn.api.common import MAX_ID, OWNERS, PERSONAL, In, Pagination, membership_for
from cairn.core.models import Role
from cairn.notifications import services
from cairn.notifications.forms import time_zones
from cairn.notifications.kinds import Channel, Kind
from cairn.notifications.models import MailState, Notification, OutgoingMail

router = Router(tags=["Notifications"])


class NotificationOut(Schema):
    id: int
    organization: str = Field(..., description="The organisation's slug.")
    kind: Kind
    subject: str
    lines: list[str]
    url: str = Field(..., description="The page it is about (a path on this site).")
    created: datetime
    read: bool

    @staticmethod
    def resolve_organization(obj) -> str:
        return obj.organization.slug

    @staticmethod
    def resolve_read(obj) -> bool:
        return obj.read_at is not None


class MarkedOut(Schema):
    marked: int = Field(..., description="How many were unread and are now read.")


@router.get(
    "/notifications",
    response=list[NotificationOut],
    operation_id="list_notifications",
    openapi_extra=PERSONAL,
    summary="My notifications, newest first",
)
@paginate(Pagination)
def list_notifications(request, unread: bool = False, org: str | None = None):
    found = Notification.objects.filter(user=request.auth).select_related("organization")
    if unread:
        found = found.filter(read_at__isnull=True)
    if org:
        found = found.filter(organization__slug=org)
    return found


@router.post(
    "/notifications/{notification_id}/read",
    response=NotificationOut,
    operation_id="read_notification",
    openapi_extra=PERSONAL,
    summary="Mark one of my notifications read",
)
def read_notification(request, notification_id: int):
    if not 0 < notification_id <= MAX_ID:
        raise Http404
    note = (
        Notification.objects.filter(user=request.auth, pk=notification_id)
        .select_related("organization")
        .first()
    )
    if note is None:
        raise Http404
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return note


@router.post(
    "/notifications/read-all",
    response=MarkedOut,
    operation_id="read_all_notifications",
    openapi_extra=PERSONAL,
    summary="Mark all my notifications read",
)
def read_all(request):
    marked = Notification.objects.filter(user=request.auth, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return {"marked": marked}


# --- Choices --------------------------------------------------------------------------------


class ChoiceOut(Schema):
    kind: Kind
    label: str
    sentence: str = Field(..., description="Who is told, and when.")
    channel: Channel
    default: Channel = Field(..., description="The organisation's default for this kind.")


class DigestOut(Schema):
    time_zone: str
    digest_weekday: int = Field(..., description="0 is Monday, 6 Sunday.")
    digest_hour: int = Field(..., description="The hour in the time zone, 0 to 23.")


class PreferencesOut(Schema):
    choices: list[ChoiceOut]
    digest: DigestOut


class ChannelIn(In):
    kind: Kind
    channel: Channel


class PreferencesIn(In):
    choices: list[ChannelIn] = Field(default_factory=list, max_length=len(Kind))
    time_zone: str | None = Field(None, max_length=60, description="An IANA name: Europe/Paris")
    digest_weekday: int | None = Field(None, ge=0, le=6)
    digest_hour: int | None = Field(None, ge=0, le=23)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value):
        if value is not None and value not in dict(time_zones()):
            raise PydanticCustomError(
                "time_zone", "Not a time zone Cairn knows: use a name like Europe/Paris."
            )
        return value


class DefaultsIn(In):
    choices: list[ChannelIn] = Field(..., max_length=len(Kind))


def _preferences(membership) -> dict:
    person = services.settings_for(membership.user)
    return {
        "choices": services.choices_for(membership),
        "digest": {
            "time_zone": person.time_zone,
            "digest_weekday": person.digest_weekday,
            "digest_hour": person.digest_hour,
        },
    }


@router.get(
    "/orgs/{org}/notification-preferences",
    response=PreferencesOut,
    operation_id="get_notification_preferences",
    openapi_extra=PERSONAL,
    summary="What I am told in this organisation, and how",
)
def get_preferences(request, org: str):
    return _preferences(membership_for(request, org))


@router.put(
    "/orgs/{org}/notification-preferences",
    response=PreferencesOut,
    operation_id="set_notification_preferences",
    openapi_extra=PERSONAL,
    summary="Choose what I am told in this organisation",
)
def set_preferences(request, org: str, payload: PreferencesIn):
    membership = membership_for(request, org)
    with transaction.atomic():
        services.set_choices(membership, {c.kind: c.channel for c in payload.choices})
        person = services.settings_for(request.auth)
        for name in ("time_zone", "digest_weekday", "digest_hour"):
            if getattr(payload, name) is not None:
                setattr(person, name, getattr(payload, name))
        person.save()
    return _preferences(membership)


@router.get(
    "/orgs/{org}/notification-defaults",
    response=list[ChoiceOut],
    operation_id="get_notification_defaults",
    summary="The organisation's defaults for each kind",
)
def get_defaults(request, org: str):
    rows = services.choices_for(membership_for(request, org))
    return [{**row, "channel": row["default"]} for row in rows]


@router.put(
    "/orgs/{org}/notification-defaults",
    response=list[ChoiceOut],
    operation_id="set_notification_defaults",
    openapi_extra=OWNERS,
    summary="Set the organisation's defaults (owners)",
)
def set_defaults(request, org: str, payload: DefaultsIn):
    membership = membership_for(request, org, Role.OWNER)
    services.set_defaults(membership.organization, {c.kind: c.channel for c in payload.choices})
    rows = services.choices_for(membership)
    return [{**row, "channel": row["default"]} for row in rows]


class MailOut(Schema):
    id: int
    to: str
    kind: str
    subject: str
    state: MailState
    attempts: int
    last_error: str
    created: datetime
    next_attempt: datetime
    sent_at: datetime | None


@router.get(
    "/orgs/{org}/mails",
    response=list[MailOut],
    operation_id="list_mails",
    openapi_extra=OWNERS,
    summary="The mails Cairn sent or tried to send to this organisation's people (owners)",
)
@paginate(Pagination)
def list_mails(request, org: str, state: MailState | None = None):
    membership = membership_for(request, org, Role.OWNER)
    found = OutgoingMail.objects.filter(organization=membership.organization).defer("text", "html")
    return found.filter(state=state) if state else found
