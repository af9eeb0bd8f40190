"""Every change to organisations, memberships and audited domain rows goes through here.

Web views, API handlers and management commands call these functions, so the
rules and the audit trail are the same whichever door a change comes through.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, models, router, transaction
from django.dispatch import Signal
from django.forms import ModelForm
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from cairn.core import signals
from cairn.core.models import (
    ApiToken,
    AuditAction,
    AuditEvent,
    AuditVia,
    Invitation,
    Membership,
    Organization,
    Role,
    TrashEntry,
    hash_key,
)

User = get_user_model()
# Bookkeeping fields that change on every save and say nothing about the content.
UNAUDITED_FIELDS = {
    "created",
    "updated",
    "version",
    "organization",
    "created_by",
    "key_hash",
    # A KPI's figures kept up to date from its measurements: derived, not edited.
    "latest_value",
    "latest_date",
    "recent",
    "measurement_count",
    "status_code",
    "status_rank",
    "progress_share",
}


class ServiceError(Exception):
    """A change refused for a reason the person can act on; the message says which."""


class ConflictError(ServiceError):
    """Someone else saved the same thing first."""


def snapshot(obj: models.Model, m2m: dict[str, list[int]] | None = None) -> dict[str, Any]:
    """The audited values of a row: its own fields, and the ids of its many-to-many links.

    Bulk writers pass ``m2m`` (link ids by field name) so that no query is made per row.
    """
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in UNAUDITED_FIELDS or field.primary_key:
            continue
        data[field.name] = field.value_from_object(obj)
    for field in obj._meta.many_to_many:
        if m2m is not None:
            data[field.name] = sorted(m2m.get(field.name, []))
        elif obj.pk:
            # Uses the prefetch cache when the caller filled it.
            data[field.name] = sorted(o.pk for o in getattr(obj, field.name).all())
    return data


def data_version(org: Organization) -> int:
    """A number that changes whenever anything of the organisation changes: the id of its
    newest audit event (every change is audited). Pages cache what they compute under it."""
    newest = AuditEvent.objects.filter(organization=org).order_by("-id").values_list("id")
    return (newest.first() or (0,))[0]


def audit_event(
    organization: Organization,
    *,
    actor: AbstractBaseUser | None,
    action: AuditAction,
    obj: models.Model,
    before: dict | None,
    after: dict | None,
    via: AuditVia = AuditVia.WEB,
    object_id: int | None = None,
    object_repr: str | None = None,
) -> AuditEvent:
    """An unsaved audit event (bulk writers save many with ``bulk_create``)."""
    return AuditEvent(
        organization=organization,
        actor=actor if actor and actor.pk else None,
        actor_name=actor.get_username() if actor and actor.pk else "system",
        action=action,
        via=via,
        object_type=obj._meta.label_lower,
        object_id=object_id if object_id is not None else obj.pk,
        object_repr=(object_repr if object_repr is not None else str(obj))[:200],
        before=before,
        after=after,
    )


def record(
    organization: Organization,
    *,
    actor: AbstractBaseUser | None,
    action: AuditAction,
    obj: models.Model,
    before: dict | None,
    after: dict | None,
    via: AuditVia = AuditVia.WEB,
    object_id: int | None = None,
) -> AuditEvent:
    """Write one audit event."""
    event = audit_event(
        organization,
        actor=actor,
        action=action,
        obj=obj,
        before=before,
        after=after,
        via=via,
        object_id=object_id,
    )
    event.save()
    return event


def change_row(obj: models.Model, values: dict[str, Any], *, actor, via: AuditVia = AuditVia.WEB):
    """Set some fields of an organisation's row, one version on, and audit the change (for
    changes made by a service rather than a form)."""
    before = snapshot(obj)
    for name, value in values.items():
        setattr(obj, name, value)
    obj.version += 1
    obj.save()
    record_change(obj, before, actor=actor, via=via)
    return obj


def record_change(
    obj: models.Model,
    before: dict | None,
    *,
    actor: AbstractBaseUser | None,
    via: AuditVia = AuditVia.WEB,
) -> AuditEvent:
    """Audit a row just created (``before`` None) or changed, with its values now."""
    org = obj if isinstance(obj, Organization) else obj.organization
    action = AuditAction.CREATE if before is None else AuditAction.UPDATE
    return record(
        org, actor=actor, action=action, obj=obj, before=before, after=snapshot(obj), via=via
    )


@transaction.atomic
def save_form(form: ModelForm, *, actor: AbstractBaseUser, via: AuditVia = AuditVia.WEB):
    """Save a valid organisation-scoped model form, refusing stale edits, and audit it.

    The form carries the organisation (``form.organization``) and, when editing,
    the version the person started from (``seen_version``).
    """
    instance = form.instance
    model = type(instance)
    if instance.pk:
        current = model.objects.select_for_update().get(pk=instance.pk)
        seen = form.cleaned_data.get("seen_version")
        if seen is not None and seen != current.version:
            raise ConflictError(
                f"Someone else changed this {model._meta.verbose_name} while you were editing. "
                "Reload the page to see their version, then make your change again."
            )
        before = snapshot(current)
        instance.version = current.version + 1
        action = AuditAction.UPDATE
    else:
        instance.organization = form.organization
        instance.created_by = actor
        before, action = None, AuditAction.CREATE
    try:
        with transaction.atomic():
            obj = form.save()
    except IntegrityError as e:  # a duplicate saved by someone else a moment ago
        raise ServiceError(
            f"This {model._meta.verbose_name} clashes with one saved a moment ago: {e}"
        ) from e
    record(
        obj.organization,
        actor=actor,
        action=action,
        obj=obj,
        before=before,
        after=snapshot(obj),
        via=via,
    )
    return obj


@transaction.atomic
def delete_object(obj: models.Model, *, actor: AbstractBaseUser, via: AuditVia = AuditVia.WEB):
    """Delete an organisation-scoped row, keeping its last values in the audit trail, and those
    of every row the database deletes with it (a deleted initiative's milestones, say).

    A row whose ``deletion_refused()`` gives a reason is kept: ServiceError with it."""
    from django.db.models.deletion import Collector

    refusal = getattr(obj, "deletion_refused", None)
    if callable(refusal) and (reason := refusal()):
        raise ServiceError(reason)
    collector = Collector(using=router.db_for_write(type(obj)))
    with contextlib.suppress(
        models.ProtectedError, models.RestrictedError
    ):  # reported below, by the delete itself
        collector.collect([obj])
    # Rows deleted one by one are in ``data``; those deleted in bulk, as querysets, in
    # ``fast_deletes``. Many-to-many link rows are left out: the snapshots hold the links.
    doomed = [
        i for model, rows in collector.data.items() if not model._meta.auto_created for i in rows
    ]
    doomed += [i for qs in collector.fast_deletes if not qs.model._meta.auto_created for i in qs]
    cascaded = [
        (instance, snapshot(instance), instance.pk, str(instance))  # str() may read a parent
        for instance in doomed
        if not (type(instance) is type(obj) and instance.pk == obj.pk)
    ]
    before, pk = snapshot(obj), obj.pk
    from cairn.core.trash import trash_payload  # the trash builds on these services

    payload = trash_payload(obj, collector)
    try:
        with transaction.atomic():
            obj.delete()
            TrashEntry.objects.create(
                organization=obj.organization,
                label=f"{obj._meta.verbose_name.capitalize()}: {str(obj)[:250]}",
                model=obj._meta.label_lower,
                object_id=pk,
                deleted_by=actor if getattr(actor, "pk", None) else None,
                payload=payload,
            )
    except (models.ProtectedError, models.RestrictedError) as e:
        held = getattr(e, "protected_objects", None) or getattr(e, "restricted_objects", ())
        blockers = ", ".join(sorted({str(o) for o in held})[:5])
        raise ServiceError(
            f"“{obj}” cannot be deleted while these depend on it: {blockers}. "
            "Move or delete them first."
        ) from e
    record(
        obj.organization,
        actor=actor,
        action=AuditAction.DELETE,
        obj=obj,
        before=before,
        after=None,
        via=via,
        object_id=pk,
    )
    AuditEvent.objects.bulk_create(
        [
            audit_event(
                obj.organization,
                actor=actor,
                action=AuditAction.DELETE,
                obj=instance,
                before=values,
                after=None,
                via=via,
                object_id=instance_pk,
                object_repr=label,
            )
            for instance, values, instance_pk, label in cascaded
        ]
    )


# --- Organisations and people


def org_by_slug(slug: str) -> Organization:
    """The organisation a command names, or a command error that says so."""
    from django.core.management.base import CommandError

    try:
        return Organization.objects.get(slug=slug)
    except Organization.DoesNotExist:
        raise CommandError(f"No organisation with the slug {slug!r}.") from None


def unique_slug(name: str) -> str:
    """A URL slug for a new organisation, made unique with a number when needed."""
    base = slugify(name)[:50] or "org"
    slug, n = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def create_organization(
    name: str, *, owner: AbstractBaseUser, via: AuditVia = AuditVia.WEB, slug: str = ""
) -> Organization:
    """Create an organisation with ``owner`` as its first owner."""
    org = Organization.objects.create(name=name, slug=slug or unique_slug(name))
    membership = Membership.objects.create(user=owner, organization=org, role=Role.OWNER)
    record_change(org, None, actor=owner, via=via)
    record_change(membership, None, actor=owner, via=via)
    return org


# Sent once a blank organisation exists (not an import or a copy, which bring their own):
# the apps above core give it their defaults without core importing them
# (portfolio: the four standard scoring criteria). Arguments: org, actor, via.
blank_organization_started = Signal()


@transaction.atomic
def start_organization(
    name: str, *, owner: AbstractBaseUser, via: AuditVia = AuditVia.WEB, slug: str = ""
) -> Organization:
    """A new, blank organisation ready to use: created, then given each app's defaults."""
    org = create_organization(name, owner=owner, via=via, slug=slug)
    blank_organization_started.send(sender=Organization, org=org, actor=owner, via=via)
    return org


@transaction.atomic
def dismiss_checklist(org: Organization, *, actor, via: AuditVia = AuditVia.WEB) -> Organization:
    """Hide the getting-started checklist from the organisation's dashboard."""
    before = snapshot(org)
    org.checklist_dismissed = timezone.now()
    org.save(update_fields=["checklist_dismissed"])
    record_change(org, before, actor=actor, via=via)
    return org


@transaction.atomic
def create_first_user(*, username: str, password: str, org_name: str):
    """The first person on a new install: their account and their first organisation."""
    if User.objects.exists():
        raise ServiceError("This Cairn already has accounts; ask an owner for an invitation.")
    user = User.objects.create_user(username=username, password=password)
    user.is_staff = user.is_superuser = True  # the installer also runs the admin site
    user.save(update_fields=["is_staff", "is_superuser"])
    return user, start_organization(org_name, owner=user)


@transaction.atomic
def update_organization(org: Organization, changes: dict, *, actor, via=AuditVia.WEB):
    """Change an organisation's settings."""
    before = snapshot(org)
    for name, value in changes.items():
        setattr(org, name, value)
    org.full_clean()
    org.save()
    record_change(org, before, actor=actor, via=via)
    return org


@transaction.atomic
def create_invitation(
    org: Organization, *, role: str, label: str, actor, email: str = "", via=AuditVia.WEB
):
    """Make a one-time join link; returns the invitation and its key (shown only once).

    With an ``email``, the link is also sent there (``signals.invitation_created``, acted on
    by the notifications), in the same transaction: no invitation without its mail."""
    key = Invitation.new_key()
    invitation = Invitation.objects.create(
        organization=org,
        role=role,
        label=label,
        key_hash=hash_key(key),
        created_by=actor,
        expires=timezone.now() + Invitation.VALID_FOR,
    )
    record_change(invitation, None, actor=actor, via=via)
    signals.invitation_created.send(
        sender=Invitation,
        invitation=invitation,
        key=key,
        email=email,
        actor=actor,
        link=settings.CAIRN_BASE_URL + reverse("join", args=[key]),
    )
    return invitation, key


def find_invitation(key: str) -> Invitation | None:
    """The invitation behind a join link, if the link is still usable."""
    invitation = (
        Invitation.objects.select_related("organization").filter(key_hash=hash_key(key)).first()
    )
    return invitation if invitation and invitation.is_usable else None


@transaction.atomic
def accept_invitation(invitation: Invitation, user: AbstractBaseUser) -> Membership:
    """Use a join link: the user becomes a member with the invited role (once only)."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not locked.is_usable:
        raise ServiceError("This invitation link has already been used, revoked or has expired.")
    org = locked.organization
    membership, created = Membership.objects.get_or_create(
        user=user, organization=org, defaults={"role": locked.role}
    )
    if not created:
        raise ServiceError(f"You are already a member of {org}.")
    locked.accepted_by, locked.accepted_at = user, timezone.now()
    locked.save(update_fields=["accepted_by", "accepted_at"])
    record(
        org,
        actor=user,
        action=AuditAction.CREATE,
        obj=membership,
        before=None,
        after=snapshot(membership),
    )
    return membership


@transaction.atomic
def revoke_invitation(invitation: Invitation, *, actor, via=AuditVia.WEB) -> None:
    """Stop a join link from working."""
    before = snapshot(invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    record_change(invitation, before, actor=actor, via=via)


def _check_keeps_an_owner(membership: Membership, new_role: str | None) -> None:
    if membership.role == Role.OWNER and new_role != Role.OWNER:
        owners = Membership.objects.filter(organization=membership.organization, role=Role.OWNER)
        if owners.count() <= 1:
            raise ServiceError("An organisation needs at least one owner: name another first.")


@transaction.atomic
def change_role(membership: Membership, role: str, *, actor, via=AuditVia.WEB) -> Membership:
    """Give a member another role, never leaving the organisation without an owner."""
    if role not in Role.values:
        raise ServiceError(f"Unknown role {role!r}.")
    _check_keeps_an_owner(membership, role)
    before = snapshot(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    record_change(membership, before, actor=actor, via=via)
    return membership


@transaction.atomic
def remove_member(membership: Membership, *, actor, via=AuditVia.WEB) -> None:
    """Take a person out of an organisation (their past changes stay in the trail)."""
    _check_keeps_an_owner(membership, None)
    delete_object(membership, actor=actor, via=via)


TOKEN_DAYS = 90  # a token's life unless chosen otherwise
TOKEN_MAX_DAYS = 366


def create_api_token(
    user: AbstractBaseUser,
    name: str,
    *,
    scope: str = "write",
    days: int = TOKEN_DAYS,
    organization: Organization | None = None,
) -> tuple[ApiToken, str]:
    """Make an API token; returns it and its key, which is shown only this once. It expires
    after ``days`` (at most a year), reads only or reads and writes, and may be kept to one
    of the person's organisations."""
    if not 1 <= days <= TOKEN_MAX_DAYS:
        raise ServiceError("A token lasts from one day to a year.")
    if scope not in ("read", "write"):
        raise ServiceError("A token reads only, or reads and writes.")
    if (
        organization is not None
        and not Membership.objects.filter(user=user, organization=organization).exists()
    ):
        raise ServiceError("You can keep a token only to one of your organisations.")
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[6 : 6 + ApiToken.PREFIX_LENGTH],
        key_hash=hash_key(key),
        scope=scope,
        expires=timezone.now() + timedelta(days=days),
        organization=organization,
    )
    return token, key


EMAIL_TAKEN = "Another account already uses this e-mail address."


@transaction.atomic
def update_person(user: AbstractBaseUser, *, first_name: str, last_name: str, email: str):
    """A person's own name and e-mail address (what reminders are sent to). An address is
    one account's only, whatever its capitals, so a password reset reaches one person."""
    email = User.objects.normalize_email(email.strip())
    if email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ServiceError(EMAIL_TAKEN)
    user.first_name, user.last_name, user.email = first_name.strip(), last_name.strip(), email
    user.save(update_fields=["first_name", "last_name", "email"])
    return user


def token_for_key(key: str) -> ApiToken | None:
    """The token of an API key, with its person (active), or None. Expired tokens are
    returned too, so that the caller can say so."""
    token = (
        ApiToken.objects.select_related("user", "organization")
        .filter(key_hash=hash_key(key))
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token


def note_token_use(token: ApiToken) -> None:
    """Note when a token was last used: at most one write a minute per token."""
    now = timezone.now()
    if token.last_used is None or (now - token.last_used).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)


def user_for_token(key: str):
    """The person an API key belongs to, if it is valid and not expired; or None."""
    token = token_for_key(key)
    if token is None or (token.expires is not None and token.expires <= timezone.now()):
        return None
    note_token_use(token)
    return token.user
