"""The whole climb on a blank organisation, as a new user walks it: goals and a mission, an
interview whose pain point becomes a goal, SWOT, three initiatives with team effort, a
scenario saved and run, "Approve and schedule", the roadmap from the current period, a KPI
with measurements, the dashboard with one status per KPI, and the strategy document."""

import re
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from cairn.core.models import Organization
from cairn.documents.models import StrategyDocument
from cairn.goals.models import BusinessGoal
from cairn.kpis.models import Kpi
from cairn.portfolio.models import Initiative
from cairn.roadmap.models import Plan, RoadmapItem

PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def save(page, name="Save"):
    page.get_by_role("button", name=name, exact=True).click()


def test_the_whole_climb_on_a_blank_organisation(page, live_server, screenshot):
    User.objects.create_user("alex", password=PASSWORD)
    page.set_default_timeout(20_000)
    base = live_server.url
    page.goto(f"{base}/orgs/new/")
    page.get_by_label("Username").fill("alex")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Name").fill("Harbour Logistics")
    save(page, "Create")
    org = Organization.objects.get(name="Harbour Logistics")
    o = f"{base}/o/{org.slug}"

    # Destination: two goals and a mission.
    for title in ("Deliver next day to every customer", "Cut the cost per parcel by 15%"):
        page.goto(f"{o}/goals/new/")
        page.get_by_label("Title").fill(title)
        page.get_by_label("Target date").fill(f"{date.today().year + 3}-12-31")
        save(page)
    card = page.locator("article", has_text="Deliver next day")
    card.get_by_role("link", name="Add an IT mission").click()
    card.get_by_label("Statement").fill("Drivers and planners share one live view of every route.")
    card.get_by_role("button", name="Save").click()
    expect(card.get_by_text("one live view of every route")).to_be_visible()

    # An interview, then its pain point, which becomes a goal in one step.
    page.goto(f"{o}/interviews/new/")
    expect(page.get_by_label("Date")).to_have_value(date.today().isoformat())
    page.get_by_label("Name").fill("Priya Shah")
    page.get_by_label("Role").fill("CFO")
    page.get_by_label("What keeps you up at night?").fill(
        "Fuel costs we cannot see until month end."
    )
    save(page)
    page.goto(f"{o}/pain-points/new/")
    page.get_by_label("Title").fill("Fuel spend is known a month late")
    save(page)
    page.get_by_role("button", name="Make it a goal").first.click()
    expect(page.get_by_text("Fuel spend is known a month late").first).to_be_visible()
    goal = BusinessGoal.objects.get(organization=org, title="Fuel spend is known a month late")
    assert list(goal.pain_points.values_list("title", flat=True)) == [goal.title]

    # Terrain: SWOT items.
    for kind, statement in (("Strength", "Loyal regional customers"), ("Threat", "Rising fuel")):
        page.goto(f"{o}/terrain/swot/new/")
        page.get_by_label("Kind").select_option(label=kind)
        page.get_by_label("Statement").fill(statement)
        save(page)

    # A team, then three initiatives with team effort.
    page.goto(f"{o}/terrain/teams/new/")
    page.get_by_label("Name").fill("Platform team")
    page.get_by_label("Headcount").fill("3")
    save(page)
    for title, cost, months in (
        ("Live route tracking", "90000", "6"),
        ("Fuel card feed", "30000", "2"),
        ("Replace the depot scanners", "150000", "9"),
    ):
        page.goto(f"{o}/path/initiatives/new/")
        page.get_by_label("Title").fill(title)
        page.get_by_label("Business impact").select_option(index=0)
        page.locator("#id_one_off_cost").fill(cost)
        page.get_by_label("Staff effort").fill(months)
        page.get_by_label("Duration").fill("3")
        page.get_by_label("Deliver next day to every customer").check()
        save(page)
        initiative = Initiative.objects.get(organization=org, title=title)
        page.goto(f"{o}/path/initiatives/{initiative.pk}/")
        page.get_by_label("Platform team").fill(months)
        save(page, "Save effort by team")
        expect(page.get_by_text(re.compile(rf"{months}(\.0)? are split by team"))).to_be_visible()

    # Path: a scenario saved and run in one click, then approved and scheduled.
    page.goto(f"{o}/path/scenarios/new/")
    page.get_by_label("Name").fill("This year")
    page.get_by_label("One-off budget").fill("130000")
    save(page, "Save and run")
    expect(page.get_by_text("Proven the best possible")).to_be_visible()
    screenshot("climb-scenario")
    page.get_by_role("link", name="Approve and schedule").click()
    screenshot("climb-approve")
    save(page, "Approve and schedule")

    # Roadmap: the approved work is there, from the current period on, never in the past.
    expect(page.get_by_text("approved. The roadmap places the work")).to_be_visible()
    plan = Plan.for_org(org)
    items = list(RoadmapItem.objects.filter(organization=org))
    assert len(items) == 2
    assert all(i.start is not None and i.start >= plan.today for i in items)
    for item in items:
        expect(page.locator("#gantt").get_by_text(item.initiative.title).first).to_be_visible()
    screenshot("climb-roadmap")

    # Ascent: a KPI with measurements; the dashboard shows one status for it.
    page.goto(f"{o}/ascent/kpis/new/")
    page.get_by_label("Name", exact=True).fill("Parcels delivered next day")
    page.get_by_label("Unit").fill("%")
    page.get_by_label("Baseline", exact=True).fill("62")
    page.get_by_label("Baseline measured on").fill((date.today() - timedelta(days=120)).isoformat())
    page.get_by_label("Target", exact=True).fill("90")
    page.get_by_label("Target date").fill(f"{date.today().year + 2}-12-31")
    page.get_by_label("Deliver next day to every customer").check()
    page.get_by_label("Live route tracking").check()
    save(page)
    kpi = Kpi.objects.get(organization=org)
    page.goto(f"{o}/ascent/kpis/{kpi.pk}/")
    for days, value in ((90, "64"), (60, "67"), (30, "69")):
        page.get_by_label("Date", exact=True).fill(
            (date.today() - timedelta(days=days)).isoformat()
        )
        page.get_by_label("Value", exact=True).fill(value)
        save(page, "Record")
    page.goto(f"{o}/")
    card = page.locator("#goal-cards, main").first
    expect(card.get_by_text("Parcels delivered next day").first).to_be_visible()
    screenshot("climb-dashboard")

    # The strategy document, made from all of it.
    page.goto(f"{o}/strategy/")
    save(page, "Make today's document")
    document = StrategyDocument.objects.get(organization=org)
    page.goto(f"{o}/strategy/{document.pk}/")
    expect(page.get_by_text("Parcels delivered next day").first).to_be_visible()
    expect(page.get_by_text("Deliver next day to every customer").first).to_be_visible()
    screenshot("climb-document")
