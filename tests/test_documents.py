"""The strategy document: gathered once and kept, produced again unchanged, in HTML, PDF
(read back as text), Markdown and a board deck; made through the API with its PDF in the
background."""

from __future__ import annotations

import io
import json
import subprocess

from cairn.core import services as core
from cairn.documents import content, render, services
from cairn.documents.models import StrategyDocument
from cairn.goals.models import BusinessGoal
from tests.base import PAGE, CairnTestCase


class DocumentTests(CairnTestCase):
    def test_every_section_is_there_and_last_years_document_stays_as_it_was(self):
        doc = services.make(self.org, actor=self.editor)
        html = render.html(doc.data)
        for title in (
            "Executive summary",
            "1. Destination",
            "2. Terrain",
            "3. Path",
            "4. Roadmap",
            "5. Guideposts",
            "6. Ascent",
            "AI and automation",
            "Glossary",
            self.goal.title,
            "ERP selection",  # the RACI
            "SLA",  # the glossary
        ):
            self.assertIn(title, html)
        self.assertIn("<svg", html)  # charts drawn on the server
        BusinessGoal.objects.filter(pk=self.goal.pk).update(title="Renamed since")
        doc.refresh_from_db()
        self.assertEqual(render.html(doc.data), html)  # the stored content, unchanged
        self.assertIn("Renamed since", render.html(content.gather(self.org)))

    def test_pdf_read_back_as_text(self):
        doc = services.make(self.org, actor=self.editor)
        pdf = services.make_pdf(doc)
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        self.assertIn("IT strategy of Acme", text)
        self.assertIn("Ascent: how we know it works", text)
        self.assertIn(self.ascent["kpi"].name, text)
        doc.refresh_from_db()
        self.assertEqual((doc.state, doc.progress), ("ready", 100))

    def test_markdown_and_board_deck(self):
        from pptx import Presentation

        doc = services.make(self.org, actor=self.editor)
        markdown = render.markdown(doc.data)
        self.assertTrue(markdown.startswith("# IT strategy of Acme"))
        self.assertIn("## 6. Ascent: how we know it works", markdown)
        self.assertIn("| Orders |", markdown)
        deck = Presentation(io.BytesIO(render.pptx(doc.data)))
        titles = [s.shapes.title.text for s in deck.slides]
        self.assertEqual(
            titles,
            [
                "IT strategy of Acme",
                "Summary",
                "1. Destination",
                "2. Terrain",
                "3. Path",
                "4. Roadmap",
                "5. Guideposts",
                "6. Ascent",
                "7. Execution",  # how the initiatives under way are going
            ],
        )

    def test_pages_and_query_counts(self):
        self.login("editor")
        self.client.post(self.url("documents:document_create"))
        doc = StrategyDocument.objects.filter(organization=self.org).first()
        for ext, kind in (
            ("pdf", "application/pdf"),
            ("md", "text/markdown"),
            ("pptx", "presentationml"),
        ):
            with self.subTest(ext=ext):
                response = self.client.get(self.url("documents:document_file", doc.pk, ext))
                self.assertIn(kind, response["Content-Type"])
        self.login("viewer")
        self.assertQueryCount(PAGE + 1, self.client.get, self.url("documents:document_list"))

    def test_made_through_the_api_with_the_pdf_in_the_background(self):
        _, key = core.create_api_token(self.editor, "t")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        with self.captureOnCommitCallbacks(execute=True):
            made = self.client.post(
                "/api/v1/orgs/acme/documents", "{}", content_type="application/json", **auth
            )
        self.assertEqual(made.status_code, 201)
        self.assertEqual(made.json()["state"], "queued")
        read = self.client.get(f"/api/v1/orgs/acme/documents/{made.json()['id']}", **auth)
        self.assertEqual((read.json()["state"], read.json()["progress"]), ("ready", 100))
        pdf = self.client.get(read.json()["urls"]["pdf"], **auth)
        self.assertEqual(pdf.status_code, 302)  # the files are pages: signed-in people only
        self.login("viewer")
        self.assertTrue(self.client.get(read.json()["urls"]["pdf"]).content.startswith(b"%PDF"))
        self.assertEqual(json.loads(read.content)["urls"]["md"][-7:], "file.md")
