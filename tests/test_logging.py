"""The console at the default log level: no progress lines from the PDF libraries."""

from __future__ import annotations

import logging

from cairn.documents import services
from tests.base import CairnTestCase


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


class PdfLoggingTests(CairnTestCase):
    def test_weasyprint_and_fonttools_only_warn(self):
        for name in ("weasyprint", "fontTools", "fontTools.subset"):
            with self.subTest(logger=name):
                self.assertEqual(logging.getLogger(name).getEffectiveLevel(), logging.WARNING)

    def test_making_a_pdf_sends_no_info_line_to_the_root_handler(self):
        root = logging.getLogger()
        handler, level = Collect(), root.level
        root.addHandler(handler)
        root.setLevel(logging.INFO)  # the default LOG_LEVEL
        try:
            pdf = services.make_pdf(services.make(self.org, actor=self.editor))
        finally:
            root.removeHandler(handler)
            root.setLevel(level)
        self.assertTrue(pdf.startswith(b"%PDF"))
        noisy = [
            f"{r.name}: {r.getMessage()}"
            for r in handler.records
            if r.name.split(".")[0] in ("weasyprint", "fontTools") and r.levelno < logging.WARNING
        ]
        self.assertEqual(noisy, [])
