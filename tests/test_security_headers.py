"""The security headers on every answer, and Cairn's templates free of inline code (the
browser test tests/browser/test_csp.py then checks the pages as Chromium runs them)."""

from __future__ import annotations

import re
from pathlib import Path

from django.template import Context, Template
from django.test import SimpleTestCase, override_settings

from cairn.settings import BASE_DIR
from tests.base import CairnTestCase

TEMPLATES = BASE_DIR / "templates"
# E-mails, not pages: mail programs need their styles inline.
MAIL = {"notifications/mail/layout.html"}
INLINE = [
    (re.compile(r"<style[\s>]", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: link"),
    (re.compile(r"\shx-on", re.I), "an hx-on handler"),
]
SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)


def inline_code(text: str) -> list[str]:
    """What in a template's text the Content Security Policy would refuse."""
    found = [what for pattern, what in INLINE if pattern.search(text)]
    for attributes in SCRIPT.findall(text):
        if "src=" not in attributes and "application/json" not in attributes:
            found.append("an inline <script>")
    return found


class HeadersTest(CairnTestCase):
    def test_a_page_carries_the_policy_and_the_other_headers(self):
        self.client.force_login(self.owner)
        response = self.client.get(f"/o/{self.org.slug}/")
        self.assertEqual(response.status_code, 200)
        policy = dict(
            part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
        )
        self.assertEqual(policy["frame-ancestors"], "'none'")
        self.assertEqual(policy["script-src"], "'self'")
        self.assertEqual(policy["style-src"], "'self'")
        self.assertEqual(policy["object-src"], "'none'")
        self.assertNotIn("Content-Security-Policy-Report-Only", response)
        self.assertEqual(response["X-Frame-Options"], "DENY")
        self.assertEqual(response["Cross-Origin-Opener-Policy"], "same-origin")
        self.assertEqual(response["Referrer-Policy"], "same-origin")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertIn("camera=()", response["Permissions-Policy"])
        # An API answer gets them too (a browser may open it).
        self.assertIn(
            "frame-ancestors 'none'", self.client.get("/healthz")["Content-Security-Policy"]
        )

    def test_report_only_sends_the_same_policy_without_enforcing_it(self):
        # What CAIRN_CSP_REPORT_ONLY=1 makes of the settings.
        from django.conf import settings

        policy = settings.CONTENT_SECURITY_POLICY
        with override_settings(
            CONTENT_SECURITY_POLICY=None, CONTENT_SECURITY_POLICY_REPORT_ONLY=policy
        ):
            response = self.client.get("/accounts/login/")
        self.assertNotIn("Content-Security-Policy", response)
        self.assertIn("frame-ancestors 'none'", response["Content-Security-Policy-Report-Only"])


class TemplatesTest(SimpleTestCase):
    def test_no_template_holds_inline_code(self):
        found = {}
        for path in sorted(TEMPLATES.rglob("*.html")):
            name = path.relative_to(TEMPLATES).as_posix()
            text = path.read_text(encoding="utf-8")
            # The strategy document's PDF-only footer: WeasyPrint's, never a browser's.
            text = re.sub(r"{% if for_pdf %}<style>.*?</style>{% endif %}", "", text)
            if name not in MAIL and (problems := inline_code(text)):
                found[name] = problems
        self.assertEqual(found, {})

    def test_the_check_finds_what_it_looks_for(self):
        self.assertEqual(inline_code('<script src="/x.js"></script>'), [])
        self.assertEqual(inline_code('<script type="application/json" id="d">1</script>'), [])
        self.assertEqual(inline_code("<script>go()</script>"), ["an inline <script>"])
        self.assertEqual(inline_code('<div style="x">'), ["a style attribute"])
        self.assertEqual(inline_code('<select onchange="go()">'), ["an inline event handler"])
        self.assertEqual(inline_code("<style>a{}</style>"), ["a <style> element"])

    def test_a_document_links_its_stylesheet_or_carries_it_for_a_pdf(self):
        template = Template(
            '{% load stylesheets %}{% stylesheet "cairn/strategy.css" inline=pdf %}'
        )
        self.assertEqual(
            template.render(Context({"pdf": False})),
            '<link rel="stylesheet" href="/static/cairn/strategy.css">',
        )
        inline = template.render(Context({"pdf": True}))
        css = Path(BASE_DIR / "static/cairn/strategy.css").read_text(encoding="utf-8")
        self.assertEqual(inline, f"<style>{css}</style>")
        self.assertNotIn("</", css)  # nothing in it can close the <style> early
