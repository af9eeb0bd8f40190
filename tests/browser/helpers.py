"""What the browser tests share: signing in, and the width-and-policy check of a page."""

import contextlib

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.base import PASSWORD


def sign_in(page, base: str, username: str, password: str = PASSWORD, next_url: str = "/"):
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


# The elements that reach past the page's right edge, outermost first (for the failure message).
STICKING_OUT = """(width) => {
  const clipped = (e) => { for (let p = e.parentElement; p; p = p.parentElement) {
    if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true; }
    return false; };
  return [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > width + 0.5 && !clipped(e))
    .slice(0, 5)
    .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${[...e.classList].join('.')}`
      + ` to ${Math.round(e.getBoundingClientRect().right)} px`); }"""


def fits_without_violations(page) -> None:
    """No sideways scrolling at laptop and phone widths, and no CSP violation recorded."""
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 800})
        # Charts redraw at the new width a frame or two after the resize (Chart.js watches
        # its box): give the page a second to settle before measuring.
        settled = "(width) => document.documentElement.scrollWidth <= width"
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(settled, arg=width, timeout=1_000)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, (width, scroll, page.evaluate(STICKING_OUT, width))
    page.set_viewport_size({"width": 1366, "height": 860})
    assert page.evaluate("window.__csp") == []
