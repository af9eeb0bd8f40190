#!/usr/bin/env bash
# Re-take the user guide's screenshots: run the browser tests that save them, then copy one
# per page into docs/img/ at laptop width, cropped to the top of the page and shrunk to stay
# small (each under 250 KB). Needs Chromium (scripts/test-services.sh packages).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
SHOTS=${SCREENSHOT_DIR:-test-artifacts/screenshots}

# docs/img/<name>.png  <-  the screenshot a browser test saved (laptop width)[, from this
# many pixels down: the demo's dashboard opens with its getting-started checklist]
PICTURES=(
  dashboard:org-home:1548
  destination:destination-demo
  terrain:gaps-demo
  path:path-matrix
  roadmap:roadmap-demo
  guideposts:guideposts
  ascent:kpi-demo
  execution:execution-overview
  ai-governance:ai-register
  plain-language:plain-language-as-you-type
  notifications:inbox
  data:data
  frontier:frontier
  risk:risk
)
# The demo organisation's pages, and the few pages that need a step taken first.
TESTS=(
  tests/browser/test_pages.py::test_demo_pages_fit_laptop_and_phone
  tests/browser/test_matrix.py::test_numbered_bubbles_and_names_that_fit
  tests/browser/test_execution.py::test_report_spend_and_benefits
  tests/browser/test_language.py::test_jargon_is_flagged_as_you_type
  tests/browser/test_reminders.py::test_a_kpi_owner_is_reminded_records_the_value_and_the_reminder_stops
  tests/browser/test_data.py::test_preview_then_import
  tests/browser/test_uncertainty.py::test_frontier_and_risk_pages
)

if [ "${1:-}" != "--copy-only" ]; then
  SCREENSHOT_DIR=$SHOTS "$BIN/pytest" -q "${TESTS[@]}"
fi

mkdir -p docs/img
"$BIN/python" - "$SHOTS" "${PICTURES[@]}" <<'PY'
import sys
from pathlib import Path

from PIL import Image

shots, pairs = Path(sys.argv[1]), sys.argv[2:]
WIDTH, MAX_HEIGHT, LIMIT = 1100, 1000, 250_000  # pixels, pixels, bytes
for pair in pairs:
    name, source, top = (pair + ":0").split(":")[:3]
    image = Image.open(shots / f"{source}-laptop.png").convert("RGB")
    # The top of the page (the part a reader sees first), at a width the site shows unscaled.
    top = int(top)
    bottom = min(image.height, top + MAX_HEIGHT * image.width // WIDTH)
    image = image.crop((0, top, image.width, bottom))
    image = image.resize((WIDTH, image.height * WIDTH // image.width), Image.LANCZOS)
    target = Path("docs/img") / f"{name}.png"
    colours = 256
    while True:
        image.quantize(colours, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
        if target.stat().st_size < LIMIT or colours <= 32:
            break
        colours //= 2
    print(f"{target}: {image.width}x{image.height}, {target.stat().st_size // 1024} KB")
PY
