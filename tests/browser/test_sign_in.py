"""Sign-in safety in a real browser: the lockout page after too many wrong passwords, and the
profile's "Where you are signed in" with two browsers, the other one ended from the first."""

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from playwright.sync_api import expect

from cairn.core import services
from tests.browser.helpers import fits_without_violations, sign_in

PASSWORD = "correct horse battery"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The page's Content Security Policy violations, recorded before any script runs.
RECORD = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(`${e.effectiveDirective} ${e.blockedURI}`), true);
"""


@pytest.fixture
def morgan():
    owner = User.objects.create_user("morgan", password=PASSWORD)
    services.create_organization("Summit Outfitters", owner=owner, slug="summit")
    return owner


def test_too_many_wrong_passwords_show_the_lockout_page(page, live_server, screenshot, morgan):
    page.set_default_timeout(10_000)
    page.add_init_script(RECORD)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(page, live_server.url, "morgan", password="not it")
        expect(page.get_by_text("That username and password do not match")).to_be_visible()
    sign_in(page, live_server.url, "morgan", password="not it")
    expect(page.get_by_role("heading", name="Sign-in paused")).to_be_visible()
    expect(page.get_by_text("Too many failed sign-ins for this account.")).to_be_visible()
    expect(page.get_by_text("ask an owner of your organisation to unlock you")).to_be_visible()
    fits_without_violations(page)
    screenshot("sign-in-locked-out")
    # The right password waits too.
    sign_in(page, live_server.url, "morgan", PASSWORD)
    expect(page.get_by_role("heading", name="Sign-in paused")).to_be_visible()


def test_the_sessions_card_ends_the_other_browser(page, live_server, screenshot, morgan):
    page.set_default_timeout(10_000)
    page.add_init_script(RECORD)
    other_context = page.context.browser.new_context(user_agent=FIREFOX)
    other = other_context.new_page()
    try:
        sign_in(other, live_server.url, "morgan", PASSWORD)
        expect(other).to_have_url(f"{live_server.url}/o/summit/")
        sign_in(page, live_server.url, "morgan", PASSWORD, next_url="/profile/")
        card = page.locator("#sessions")
        expect(card.get_by_text("this browser")).to_be_visible()
        expect(card.get_by_text("Firefox on Linux", exact=True)).to_be_visible()
        card.scroll_into_view_if_needed()
        fits_without_violations(page)
        screenshot("sessions-card")
        card.get_by_role("button", name="End the session of Firefox on Linux").click()
        expect(page.get_by_text("Firefox on Linux is signed out.")).to_be_visible()
        expect(page.locator("#sessions").get_by_text("Firefox on Linux", exact=True)).to_have_count(
            0
        )
        expect(page.get_by_role("button", name="Sign out everywhere else")).to_have_count(0)
        other.goto(f"{live_server.url}/profile/")
        expect(other.get_by_role("heading", name="Sign in to Cairn")).to_be_visible()
    finally:
        other_context.close()


def test_an_owner_unlocks_a_member(page, live_server, screenshot, morgan, settings):
    from django.test import Client

    from cairn.core.models import Membership, Role

    sam = User.objects.create_user("sam", password=PASSWORD, first_name="Sam", last_name="Lee")
    Membership.objects.create(user=sam, organization=morgan.memberships.get().organization,
                              role=Role.EDITOR)  # fmt: skip
    guesser = Client(REMOTE_ADDR="10.9.0.1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        guesser.post("/accounts/login/", {"username": "sam", "password": "guess"})
    page.set_default_timeout(10_000)
    page.add_init_script(RECORD)
    sign_in(page, live_server.url, "morgan", PASSWORD, next_url="/o/summit/members/locked/")
    expect(page.get_by_role("heading", name="People locked out of signing in")).to_be_visible()
    expect(page.get_by_text("Sam Lee")).to_be_visible()
    fits_without_violations(page)
    screenshot("members-locked-out")
    page.get_by_role("button", name="Unlock sam").click()
    expect(page.get_by_text("sam can sign in again.")).to_be_visible()
    expect(page.get_by_text("Nobody in Summit Outfitters is locked out.")).to_be_visible()
    response = Client(REMOTE_ADDR="10.9.0.2").post(
        "/accounts/login/", {"username": "sam", "password": PASSWORD}
    )
    assert response.status_code == 302
