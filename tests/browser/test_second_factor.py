"""Setting up an authenticator app from the profile, then signing in again with its code, at
laptop and phone width."""

import time
from base64 import b32decode

import pytest
from django.contrib.auth.models import User
from django_otp.oath import TOTP
from playwright.sync_api import expect

from cairn.core import services
from cairn.identity.models import SecurityEvent, SecurityKind
from tests.browser.helpers import fits_without_violations, sign_in

PASSWORD = "correct horse battery"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The page's Content Security Policy violations, recorded before any script runs.
RECORD = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(`${e.effectiveDirective} ${e.blockedURI}`), true);
"""


def code(secret: str, steps: int = 0) -> str:
    """What the phone shows for the key on the page (``steps`` windows of 30 s later)."""
    totp = TOTP(b32decode(secret.replace(" ", "")))
    totp.time = time.time() + 30 * steps
    return f"{totp.token():06d}"


def test_set_up_from_the_profile_then_sign_in_with_a_code(page, live_server, screenshot):
    owner = User.objects.create_user("morgan", password=PASSWORD)
    services.create_organization("Summit Outfitters", owner=owner, slug="summit")
    page.set_default_timeout(10_000)
    page.add_init_script(RECORD)
    base = live_server.url

    sign_in(page, base, "morgan", PASSWORD, next_url="/profile/")
    card = page.locator("#second-factor")
    expect(card.get_by_text("Off")).to_be_visible()
    screenshot("second-factor-profile-off")
    card.get_by_role("link", name="Set up an authenticator app").click()

    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    qr = page.get_by_role("img", name="QR code for your authenticator app")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert 150 <= box["width"] <= 240 and box["width"] == box["height"]
    page.get_by_text("Cannot scan it? Type this key instead").click()
    secret = page.locator("#totp-secret").inner_text()
    fits_without_violations(page)
    screenshot("second-factor-enrol")

    page.get_by_label("Six-digit code").fill(wrong := f"{(int(code(secret)) + 1) % 10**6:06d}")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    assert page.get_by_label("Six-digit code").input_value() == wrong
    screenshot("second-factor-enrol-wrong")
    page.wait_for_timeout(1100)  # django-otp's throttling: a second after one wrong code
    page.get_by_label("Six-digit code").fill(code(secret))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.get_by_text("Print or copy these codes")).to_be_visible()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and all(len(c) == 11 and c[5] == "-" for c in codes)
    fits_without_violations(page)
    screenshot("second-factor-recovery-codes")
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.locator("#second-factor").get_by_text("On", exact=True)).to_be_visible()
    expect(page.get_by_text("10 recovery codes left")).to_be_visible()
    screenshot("second-factor-profile-on")

    page.get_by_role("link", name="Your account").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, "morgan", PASSWORD, next_url="/o/summit/")
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    assert "/accounts/two-factor/verify/" in page.url
    fits_without_violations(page)
    screenshot("second-factor-verify")
    # The code of the set-up is spent; the phone's next one signs in.
    page.get_by_label("Code", exact=True).fill(code(secret, 1))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{base}/o/summit/")
    assert page.evaluate("window.__csp") == []
    kinds = set(SecurityEvent.objects.filter(user=owner).values_list("kind", flat=True))
    assert {SecurityKind.SECOND_FACTOR_ADDED, SecurityKind.SECOND_FACTOR_FAILED} <= kinds
