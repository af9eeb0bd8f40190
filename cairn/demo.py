"""The demo organisation, Summit Outfitters: believable data for every part of Cairn.

Loading is idempotent: each row is looked up by its natural key first, so a
second run changes nothing. Each app adds its part in its own ``demo.py``; this
module, in the project package above the apps, puts them together.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from cairn.aigov import demo as ai_demo
from cairn.assessment import demo as terrain_demo
from cairn.core import services
from cairn.core.models import AuditVia, Membership, Organization, Role
from cairn.documents.models import StrategyDocument
from cairn.documents.services import make as make_document
from cairn.execution import demo as execution_demo
from cairn.goals import demo as goals_demo
from cairn.governance import demo as guideposts_demo
from cairn.kpis import connector_demo
from cairn.kpis import demo as ascent_demo
from cairn.language import demo as language_demo
from cairn.notifications import demo as notifications_demo
from cairn.notifications import mail
from cairn.portfolio import demo as path_demo
from cairn.roadmap import demo as roadmap_demo
from cairn.webhooks import demo as webhooks_demo

DEMO_PASSWORD = "summit-demo"  # noqa: S105 - demo accounts only, printed by `cairn demo`
DEMO_USERS = [
    ("demo-owner", "Morgan", "Reyes", Role.OWNER, "IT Director"),
    ("demo-editor", "Priya", "Shah", Role.EDITOR, "Business analyst"),
    ("demo-viewer", "Dana", "Okafor", Role.VIEWER, "CFO"),
]


def _user(username: str, first: str, last: str):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _org(name: str, slug: str, owner, **settings) -> Organization:
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        org = services.create_organization(name, owner=owner, via=AuditVia.CLI, slug=slug)
        Organization.objects.filter(pk=org.pk).update(**settings)
        org.refresh_from_db()
    return org


def load() -> Organization:
    """Create (or complete) the demo organisations and their users; returns Summit Outfitters.
    The mails of the demo's reminder run are sent once it is all saved (to the development
    mail folder, var/mail, unless EMAIL_URL says otherwise)."""
    org = _load()
    mail.send_due()
    return org


@transaction.atomic
def _load() -> Organization:
    users = {}
    for username, first, last, _, _ in DEMO_USERS:
        users[username] = _user(username, first, last)
    owner = users["demo-owner"]
    org = _org(
        "Summit Outfitters",
        "summit",
        owner,
        fiscal_year_start=4,
        planning_horizon_years=4,
        currency="EUR",
    )
    for username, _, _, role, title in DEMO_USERS:
        Membership.objects.get_or_create(
            user=users[username], organization=org, defaults={"role": role, "job_title": title}
        )
    goals_demo.load(org, owner)
    terrain_demo.load(org, owner)
    path_demo.load(org, owner)
    roadmap_demo.load(org, owner)
    ascent_demo.load(org, owner)
    guideposts_demo.load(org, owner)
    execution_demo.load(org, owner)
    language_demo.load(org, owner)
    ai_demo.load(org, owner)
    webhooks_demo.load(org, owner)
    connector_demo.load(org, owner)

    if not StrategyDocument.objects.filter(organization=org).exists():
        make_document(org, actor=owner, via=AuditVia.CLI)
    notifications_demo.load(org, owner)

    # A second client, so a consultant's switch between organisations can be seen.
    other = _org(
        "Harbour Dental Group", "harbour-dental", owner, planning_horizon_years=3, currency="GBP"
    )
    goals_demo.load_small(other, owner)
    return org
