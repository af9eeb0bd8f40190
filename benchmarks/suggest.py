"""Suggested links on the demo organisation, as `make bench` runs it: hide each existing link
in turn and count how often the hidden row comes back first and in the top three, and how
long one page's suggestions take.

Needs Django set up (``run.py`` does it)."""

from __future__ import annotations

import statistics
import time


def bench_suggest() -> dict:
    """The hidden-link figures of the demo organisation, and the time of one initiative's
    suggestions (what its card costs)."""
    from cairn import demo
    from cairn.links import evaluate, suggest

    org = demo.load()
    start = time.perf_counter()
    rows = evaluate.hidden_links(org).rows()
    whole = time.perf_counter() - start
    items = list(suggest.queryset("initiative").filter(organization=org))
    runs = []
    for item in items:
        start = time.perf_counter()
        suggest.suggest(org, item, "initiative")
        runs.append(time.perf_counter() - start)
    return {
        "name": "suggested links on the demo organisation (each link hidden in turn)",
        "target": "the hidden goal first far more often than chance; one card under 300 ms",
        "rows": rows,
        "evaluation_seconds": round(whole, 2),
        "initiative_card_ms": round(statistics.median(runs) * 1000, 1),
    }


def print_suggest(result: dict) -> None:
    from cairn.links import evaluate

    print(f"\n{result['name']}")
    print(f"  target: {result['target']}")
    print("  " + evaluate.table(result["rows"]).replace("\n", "\n  "))
    print(
        f"  one initiative's suggestions: {result['initiative_card_ms']} ms (median); "
        f"the whole evaluation {result['evaluation_seconds']} s"
    )
