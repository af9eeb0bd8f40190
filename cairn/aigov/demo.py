"""Summit Outfitters' AI and automation: use cases across the tiers, three policies.

Invoice matching and demand forecasting are minimal risk; the order-status chatbot has
transparency duties; screening applicants for store jobs is high risk and still lacks an
approved policy (a gap the register shows); a pilot that read staff emotions from store
cameras was stopped as a prohibited practice."""

from datetime import timedelta

from django.utils import timezone

from cairn.aigov.models import AiPolicy, AiUseCase
from cairn.core.demo import ensure
from cairn.goals.models import BusinessGoal
from cairn.governance.models import Decision
from cairn.portfolio.models import Initiative

POLICIES = [
    (
        "data",
        "What data AI may use",
        "AI tools may use customer and sales data we already hold for the purpose it was "
        "collected. Health data and children's data are never used. Customer data never "
        "leaves the EU.",
        "Dana Okafor",
        True,
        300,
    ),
    (
        "ethics",
        "People decide about people",
        "No AI decides alone about a person's job, pay or credit. A named person reviews "
        "every such recommendation and can overrule it.",
        "Grace Mbeki",
        True,
        -20,  # its review is overdue
    ),
    (
        "vendors",
        "What AI suppliers must promise",
        "Suppliers say where our data is stored, do not train their models on it, and tell "
        "us within 72 hours of an incident.",
        "Morgan Reyes",
        False,
        180,
    ),
]

USE_CASES = [
    {
        "title": "Automatic supplier-invoice matching",
        "description": "Matches supplier invoices to orders and deliveries; people check the "
        "ones it cannot match.",
        "purpose": "internal",
        "automation": "approves",
        "data": ["financial"],
        "model_or_vendor": "ERP vendor's matching module",
        "owner": "Dana Okafor",
        "status": "pilot",
        "goals": ["costs"],
        "initiative": "Automatic supplier-invoice matching",
        "policies": ["What data AI may use", "What AI suppliers must promise"],
        "nist": {"govern": True, "map": True, "measure": True, "manage": False},
    },
    {
        "title": "Demand forecasting for stock",
        "description": "Forecasts weekly demand per store and product to set reorder levels.",
        "purpose": "internal",
        "automation": "approves",
        "data": ["customer", "financial"],
        "model_or_vendor": "In-house model on the data warehouse",
        "owner": "Grace Mbeki",
        "status": "idea",
        "goals": ["costs", "share"],
        "initiative": "AI demand forecasting",
        "policies": ["What data AI may use"],
        "nist": {"govern": True, "map": True},
    },
    {
        "title": "Order-status chatbot",
        "description": "Answers customers' questions about their orders on the web shop, "
        "day and night, and hands over to an agent.",
        "purpose": "chatbot",
        "automation": "automatic",
        "data": ["customer"],
        "model_or_vendor": "Help-desk vendor's assistant",
        "owner": "Grace Mbeki",
        "status": "idea",
        "goals": ["service"],
        "initiative": "Chatbot for order status",
        "policies": ["What data AI may use", "What AI suppliers must promise"],
        "nist": {"govern": True},
    },
    {
        "title": "Screening applicants for store jobs",
        "description": "Ranks applications for seasonal store jobs before a manager reads them.",
        "purpose": "employment",
        "automation": "approves",
        "data": ["employee"],
        "model_or_vendor": "Recruitment platform's ranking",
        "owner": "",
        "status": "pilot",
        "goals": ["share"],
        "initiative": None,
        "policies": [],
        "nist": {},
    },
    {
        "title": "Reading staff mood from store cameras",
        "description": "A vendor's pilot that scored how engaged staff looked on camera. Stopped.",
        "purpose": "emotion_workplace",
        "automation": "automatic",
        "data": ["biometric", "employee"],
        "model_or_vendor": "Retail-analytics start-up",
        "owner": "Tom Lindqvist",
        "status": "retired",
        "goals": [],
        "initiative": None,
        "policies": [],
        "nist": {},
    },
]


def load(org, actor) -> None:
    from cairn.goals.demo import GOALS
    from cairn.governance.models import Meeting
    from cairn.governance.services import add_drafted_agenda

    today = timezone.localdate()
    goals = {
        key: BusinessGoal.objects.filter(organization=org, title=data["title"]).first()
        for key, data in GOALS.items()
    }
    approval = Decision.objects.filter(organization=org).order_by("decided_on").first()
    policies = {}
    for area, title, text, owner, approved, days in POLICIES:
        policies[title] = ensure(
            AiPolicy,
            org,
            actor,
            lookup={"title": title},
            defaults={
                "area": area,
                "text": text,
                "owner": owner,
                "approved_by": approval if approved else None,
                "review_by": today + timedelta(days=days),
            },
        )
    for spec in USE_CASES:
        initiative = (
            Initiative.objects.filter(organization=org, title=spec["initiative"]).first()
            if spec["initiative"]
            else None
        )
        ensure(
            AiUseCase,
            org,
            actor,
            lookup={"title": spec["title"]},
            defaults={
                k: spec[k]
                for k in (
                    "description",
                    "purpose",
                    "automation",
                    "data",
                    "model_or_vendor",
                    "owner",
                    "status",
                    "nist",
                )
            }
            | {"initiative": initiative, "next_review": today + timedelta(days=120)},
            m2m={
                "goals": [goals[g].pk for g in spec["goals"] if goals.get(g)],
                "policies": [policies[p].pk for p in spec["policies"]],
            },
        )
    upcoming = Meeting.objects.filter(organization=org, held_on__gte=today).first()
    if upcoming is not None:
        add_drafted_agenda(upcoming, actor=actor)  # the overdue policy joins the agenda
