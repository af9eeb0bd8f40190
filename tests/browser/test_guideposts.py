"""A meeting of the steering committee approves an initiative: the decision is recorded and
the initiative's status changes, in one step."""

from datetime import date

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from cairn.core import services
from cairn.governance.models import Committee, CommitteeMember, Meeting
from cairn.portfolio.models import Initiative

PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_meeting_approves_an_initiative(page, live_server, screenshot):
    owner = User.objects.create_user("morgan", password=PASSWORD)
    org = services.create_organization("Summit Outfitters", owner=owner, slug="summit")
    committee = Committee.objects.create(organization=org)
    CommitteeMember.objects.create(
        organization=org, committee=committee, name="Grace", role="COO", is_chair=True
    )
    CommitteeMember.objects.create(
        organization=org, committee=committee, name="Morgan", role="IT director", side="it"
    )
    meeting = Meeting.objects.create(
        organization=org,
        committee=committee,
        title="Q1 steering committee",
        held_on=date.today(),  # held today: a planned meeting takes no decision
    )
    portal = Initiative.objects.create(
        organization=org, title="Customer portal", status="proposed", one_off_cost=90000
    )
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/?next=/o/summit/guideposts/meetings/{meeting.pk}/")
    page.get_by_label("Username").fill("morgan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("button", name="Draft from what needs the committee now").click()
    agenda = page.locator("#agenda")
    expect(
        agenda.get_by_role("link", name="Approve, defer or reject: Customer portal")
    ).to_be_visible()

    decide = page.locator("#decisions")
    decide.get_by_label("Initiative").select_option(label="Customer portal")
    decide.get_by_label("Change").select_option("approve")
    decide.get_by_label("Why").fill("Strong business case; the CRM vendor is signed.")
    screenshot("meeting-deciding")
    decide.get_by_role("button", name="Record the decision").click()

    expect(page.get_by_text("Approved: Customer portal. The decision is recorded.")).to_be_visible()
    expect(decide.get_by_text("Strong business case")).to_be_visible()
    portal.refresh_from_db()
    assert portal.status == "approved"

    page.goto(f"{live_server.url}/o/summit/path/initiatives/{portal.pk}/")
    expect(page.locator("#governance").get_by_text("Approved: Customer portal")).to_be_visible()
