"""The pieces of the getting-started checklist that every app's ``checklist.py`` uses.

The list in the method's order is put together in the project package
(``cairn/checklist.py``), because core imports no domain app.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    title: str
    why: str
    done: bool
    url: str
    action: str
    detail: str = ""


def plural(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"
