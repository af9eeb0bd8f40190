"""A KPI owner is reminded by a real mail, follows its link, records the value, and the
reminder stops; the inbox, the choices, the defaults and the mail log as people see them."""

from datetime import date
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from cairn.core.models import Membership, Organization, Role
from cairn.kpis.models import Kpi, Measurement
from cairn.notifications import mail, rules, services
from cairn.notifications.kinds import Kind
from cairn.notifications.models import MailState, Notification, OutgoingMail
from tests.base import PASSWORD
from tests.browser.helpers import sign_in
from tests.mailserver import MailServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    page.wait_for_timeout(200)
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_kpi_owner_is_reminded_records_the_value_and_the_reminder_stops(
    page, live_server, screenshot
):
    page.set_default_timeout(10_000)
    org = Organization.objects.create(name="Summit Outfitters", slug="summit", currency="EUR")
    User = get_user_model()
    kim = User.objects.create_user(
        "kim", password=PASSWORD, email="kim@summit.example", first_name="Kim", last_name="Lee"
    )
    boss = User.objects.create_user("morgan", password=PASSWORD, email="morgan@summit.example")
    Membership.objects.create(user=kim, organization=org, role=Role.EDITOR)
    Membership.objects.create(user=boss, organization=org, role=Role.OWNER)
    kpi = Kpi.objects.create(
        organization=org,
        name="Online revenue share",
        unit="%",
        rhythm="monthly",
        owner="kim lee",  # capitals and spaces aside, Kim's name
        baseline_value=12,
        baseline_date=date(2025, 1, 31),
        target_value=30,
        target_date=date(2028, 3, 31),
    )
    with MailServer() as server, server.settings(CAIRN_BASE_URL=live_server.url):
        report = services.remind()
        assert report.queued == 1
        mail.send_due()
        (message,) = server.wait_for(1)
    assert message["To"] == "kim@summit.example"
    assert "[Summit Outfitters] A value of “Online revenue share” is due" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    link = next(
        line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("Open it in Cairn")
    )
    assert link == f"{live_server.url}/o/summit/ascent/kpis/{kpi.pk}/#record"

    # The mail as a mail program shows it.
    page.set_content(message.get_body(("html",)).get_content())
    screenshot("reminder-mail")

    sign_in(page, live_server.url, "kim")
    bell = page.locator("#inbox-bell")
    expect(bell).to_have_attribute("aria-label", "Inbox: 1 unread")
    bell.click()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(page.get_by_text("A value of “Online revenue share” is due")).to_be_visible()
    fits(page, 390)
    screenshot("inbox")

    # The link of the mail opens the form that records the value.
    page.goto(link)
    form = page.locator("#record")
    expect(form.get_by_role("heading", name="Record a value")).to_be_visible()
    form.get_by_label("Date").fill(timezone.localdate().isoformat())
    form.get_by_label("Value").fill("14.5")
    form.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Recorded 14.5")).to_be_visible()
    assert Measurement.objects.filter(kpi=kpi, value=14.5).exists()

    # The reminder stops: the rule no longer finds it due, and a new run writes nothing.
    due = [d for d in rules.due_now(org, timezone.localdate()) if d.kind == Kind.KPI_DUE]
    assert due == []
    with MailServer() as server, server.settings():
        again = services.remind()
        assert (again.queued, again.notified) == (0, 0)
        assert mail.send_due() == {}
    assert OutgoingMail.objects.count() == 1

    # Opening the notification marks it read.
    page.goto(f"{live_server.url}/inbox/")
    page.get_by_role("link", name="A value of “Online revenue share” is due").first.click()
    expect(page.locator("#inbox-bell")).to_have_attribute("aria-label", "Inbox: nothing unread")
    assert Notification.objects.get(user=kim).read_at is not None

    # Kim's choices: the sentences, and a choice saved.
    page.goto(f"{live_server.url}/o/summit/notifications/")
    expect(page.get_by_text("Three days before an action you own is due.")).to_be_visible()
    expect(page.get_by_text("“kim lee”").or_(page.get_by_text("“kim”"))).to_be_visible()
    page.get_by_label("The weekly digest", exact=True).select_option("email")
    page.get_by_label("Your time zone").select_option("Europe/Madrid")
    screenshot("notification-preferences")
    fits(page, 390)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved: Cairn will tell you as you chose.")).to_be_visible()
    assert services.settings_for(kim).time_zone == "Europe/Madrid"

    # The unsubscribe link of the mail, as a person opens it.
    path = urlsplit("".join(message["List-Unsubscribe"].split()).strip("<>")).path
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", name="Stop these mails?")).to_be_visible()
    page.get_by_role("button", name="Stop these mails").click()
    expect(page.get_by_role("heading", name="No more mails of this kind")).to_be_visible()
    screenshot("unsubscribed")

    # The owner's side: the defaults and the mails sent, with a failure to see.
    failed = OutgoingMail.objects.create(
        organization=org, to="old.address@summit.example", kind=Kind.ACTION_DUE,
        key="failed-example", subject="[Summit Outfitters] “Sign the contract” is due",
        text="x", html="x", state=MailState.FAILED, attempts=6,
        last_error="SMTPRecipientsRefused: 550 5.1.1 No such user here",
    )  # fmt: skip
    page.context.clear_cookies()
    sign_in(page, live_server.url, "morgan")
    page.goto(f"{live_server.url}/o/summit/settings/mail/")
    expect(page.get_by_text("550 5.1.1 No such user here")).to_be_visible()
    fits(page, 390)
    screenshot("mail-log")
    page.set_viewport_size({"width": 1366, "height": 860})
    page.locator(".list-group-item", has_text="old.address").get_by_role(
        "button", name="Send again"
    ).click()
    expect(page.get_by_text("will be sent again in a moment")).to_be_visible()
    failed.refresh_from_db()
    # Tests send at once (the worker does it in a deployment), to the tests' mail outbox.
    assert (failed.state, failed.attempts) == (MailState.SENT, 1)
    page.goto(f"{live_server.url}/o/summit/settings/notifications/")
    expect(page.get_by_role("heading", name="Reminder defaults")).to_be_visible()
    screenshot("notification-defaults")


def test_an_empty_inbox_says_what_it_will_hold(page, live_server, screenshot):
    org = Organization.objects.create(name="Harbour Dental", slug="harbour")
    user = get_user_model().objects.create_user("sam", password=PASSWORD)
    Membership.objects.create(user=user, organization=org, role=Role.VIEWER)
    sign_in(page, live_server.url, "sam")
    page.goto(f"{live_server.url}/inbox/")
    expect(page.get_by_text("Nothing here yet.")).to_be_visible()
    expect(page.get_by_role("link", name="Harbour Dental")).to_be_visible()
    screenshot("inbox-empty")
    page.goto(f"{live_server.url}/o/harbour/notifications/")
    expect(page.get_by_text("Your account has no e-mail address")).to_be_visible()
