"""An editor schedules the roadmap, sees the Gantt, drags a bar into an overload and is warned."""

from datetime import date

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from cairn.assessment.models import Team
from cairn.core import services
from cairn.portfolio.models import Initiative, TeamEffort
from cairn.roadmap.models import Plan, RoadmapItem

PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_schedule_then_drag_into_an_overload(page, live_server, screenshot):
    owner = User.objects.create_user("morgan", password=PASSWORD)
    org = services.create_organization("Summit Outfitters", owner=owner, slug="summit")
    Plan.objects.create(organization=org, starts_on=date(2026, 10, 1))
    team = Team.objects.create(organization=org, name="Apps", headcount=1)
    for title in ("Quote tool", "Invoice matching"):
        i = Initiative.objects.create(
            organization=org,
            title=title,
            status="approved",
            impact="high",
            feasibility="easy",
            duration_months=3,
        )
        TeamEffort.objects.create(initiative=i, team=team, months=3)  # 1 FTE for a quarter
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/?next=/o/summit/roadmap/")
    page.get_by_label("Username").fill("morgan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.get_by_text("this plan is the best possible")).to_be_visible()
    bars = page.locator(".bar-wrapper:not(.bar-group) .bar")
    expect(bars).to_have_count(2)
    page.wait_for_timeout(1000)  # the chart scrolls smoothly to the current period first
    # The names stay in their own column beside the chart, level with their bars.
    names = page.locator(".gantt-names .gantt-name")
    expect(names.filter(has_text="Quote tool")).to_be_visible()
    name_box = names.filter(has_text="Quote tool").bounding_box()
    first = RoadmapItem.objects.get(initiative__title="Quote tool")
    bar_box = page.locator(f'.bar-wrapper[data-id="{first.pk}"] .bar').bounding_box()
    assert abs(name_box["y"] - bar_box["y"]) < 2
    screenshot("roadmap")
    starts = sorted(RoadmapItem.objects.values_list("start", flat=True))
    assert starts == [0, 1]  # one person: one quarter after the other

    # Drag the later bar back onto the first quarter: both now need the one person.
    later = RoadmapItem.objects.get(start=1)
    bar = page.locator(f'.bar-wrapper[data-id="{later.pk}"] .bar')
    box = bar.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 280, box["y"] + box["height"] / 2, steps=12)
    page.mouse.up()
    moved = "Moved to Q4 2026 (Oct–Dec), and kept there"
    expect(page.locator("#move-result")).to_contain_text(moved)
    over = "Apps is over capacity in Q4 2026 (Oct–Dec): needs 2, has 1"
    expect(page.get_by_text(over)).to_be_visible()
    screenshot("roadmap-overload")
    later.refresh_from_db()
    assert (later.start, later.pinned) == (0, True)
    other = RoadmapItem.objects.exclude(pk=later.pk).get()
    assert other.start == 0  # nothing else moved

    page.goto(f"{live_server.url}/o/summit/roadmap/capacity/")
    expect(page.get_by_text("over in 1 period")).to_be_visible()
    screenshot("capacity")
