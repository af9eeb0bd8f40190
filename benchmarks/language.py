"""The plain-language check on the demo organisation's whole text, as `make bench` runs it.

Needs Django set up (``run.py`` does it)."""

from __future__ import annotations

import statistics
import time


def bench_plain_language() -> dict:
    """Check every text of the demo organisation (what the report does), and one paragraph
    (what the live check does on each pause in typing)."""
    from cairn import demo
    from cairn.language import services

    org = demo.load()
    texts = services.texts(org)
    settings = services.settings_for(org)
    words = sum(len(t.text.split()) for t in texts)
    warm = "The first text a process checks loads the readability data, once: this one does it."
    services.check(org, warm + " " + warm, settings)
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for t in texts:
            services.check(org, t.text, settings)
        runs.append(time.perf_counter() - start)
    longest = max(texts, key=lambda t: len(t.text)).text
    single = []
    for i in range(200):
        text = f"{longest} Note {i}."  # a new text each time, as when typing: no cache
        start = time.perf_counter()
        services.check(org, text, settings)
        single.append(time.perf_counter() - start)
    whole = runs[0]  # the first pass: textstat caches results by text
    return {
        "name": "plain-language check of the demo organisation",
        "target": "the live check well under 50 ms a paragraph (typing pauses are ~700 ms)",
        "texts": len(texts),
        "words": words,
        "whole_ms": round(whole * 1000, 1),
        "words_per_second": round(words / whole),
        "paragraph_words": len(longest.split()),
        "paragraph_ms": round(statistics.median(single) * 1000, 3),
    }


def print_language(result: dict) -> None:
    print(f"\n{result['name']}")
    print(f"  target: {result['target']}")
    print(
        f"  {result['texts']} texts, {result['words']:,} words in {result['whole_ms']} ms "
        f"({result['words_per_second']:,} words/s); the longest text, "
        f"{result['paragraph_words']} words, in {result['paragraph_ms']} ms"
    )
