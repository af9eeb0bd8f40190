"""What the browser tests of the sign-in pages share."""

from tests.base import PASSWORD


def sign_in(page, base: str, username: str, password: str = PASSWORD, next_url: str = "/"):
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def fits_without_violations(page) -> None:
    """No sideways scrolling at laptop and phone widths, and no CSP violation recorded."""
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
    page.set_viewport_size({"width": 1366, "height": 860})
    assert page.evaluate("window.__csp") == []
