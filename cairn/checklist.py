"""The getting-started checklist on an organisation's home page.

Each app contributes the steps of its part of the method (``<app>/checklist.py``);
this module lists them in the method's order. It lives in the project package,
above the apps, because core imports no domain app.
"""

from __future__ import annotations

from cairn.assessment import checklist as terrain
from cairn.core.checklist import Step
from cairn.goals import checklist as destination
from cairn.governance import checklist as guideposts
from cairn.kpis import checklist as ascent
from cairn.portfolio import checklist as path
from cairn.roadmap import checklist as roadmap


def getting_started(org) -> list[Step]:
    """Every step, in the method's order; each ticks itself from the organisation's data."""
    return (
        destination.steps(org)
        + terrain.steps(org)
        + path.steps(org)
        + roadmap.steps(org)
        + guideposts.steps(org)
        + ascent.steps(org)
    )
