"""The impact × feasibility chart on the demo: numbered bubbles matching the linked lists,
and region names that fit their regions and never overlap, on a laptop and on a phone."""

import json

import pytest
from playwright.sync_api import expect

from cairn import demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def overlap(a, b) -> bool:
    return not (
        a["left"] + a["width"] <= b["left"]
        or b["left"] + b["width"] <= a["left"]
        or a["top"] + a["height"] <= b["top"]
        or b["top"] + b["height"] <= a["top"]
    )


def test_numbered_bubbles_and_names_that_fit(page, live_server, screenshot):
    demo.load()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("demo-owner")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for width, height in ((1366, 860), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/o/summit/path/")
        expect(page.locator("canvas#matrix")).to_be_visible()
        numbers = page.locator(".matrix-number").all_inner_texts()
        assert numbers == [str(n) for n in range(1, len(numbers) + 1)] and len(numbers) > 5
        points = json.loads(page.locator("#matrix-data").inner_text())
        assert sorted(p["n"] for p in points) == list(range(1, len(numbers) + 1))
        # Each list entry links to the initiative its number stands for in the chart.
        first = next(p for p in points if p["n"] == 1)
        assert page.locator(f'a[href="{first["url"]}"] .matrix-number').first.inner_text() == "1"
        names = page.evaluate(
            "() => new Promise((done) => requestAnimationFrame(() =>"
            " done(Chart.getChart(document.getElementById('matrix')).$names)))"
        )
        assert [n["name"] for n in names] == ["Quick wins", "Strategic bets", "Back burner"]
        for n in names:
            box, region = n["label"], n["region"]
            assert region["left"] <= box["left"] and box["left"] + box["width"] <= region["right"]
            assert box["top"] + box["height"] <= region["bottom"]
        label = "phone" if width < 500 else "laptop"
        chart = page.locator("canvas#matrix")
        chart.screenshot(path=f"test-artifacts/screenshots/path-matrix-chart-{label}.png")
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                assert not overlap(a["label"], b["label"]), (width, a, b)
    screenshot("path-matrix")
