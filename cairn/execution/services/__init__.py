"""The figures of execution, for a page, the dashboard card or the API: each initiative's
latest report, its report state and forecast finish, spend against plan for initiatives,
budget lines and the whole portfolio, and each benefit's realised figures.

A fixed number of queries whatever the number of initiatives, reports or actuals: actuals
are summed by the database (per initiative, month and kind), reports and measurements are
read once for the whole organisation.

Split by sub-domain: ``common`` (months, starts, reports, the cache), ``figures`` (each
initiative and the portfolio), ``benefits`` and ``spend`` (budget lines by month). The names
callers use are here.
"""

from cairn.execution.services.benefits import (
    BenefitRow,
    attach_benefits,
    benefit_charts,
    benefit_counts,
    benefits,
    compute_benefits,
    register,
)
from cairn.execution.services.common import (
    CACHE_SECONDS,
    EXECUTED,
    UNDER_WAY,
    closed_month,
    first_reports,
    latest_reports,
    planned_spend,
    started_on,
    this_month,
    tolerance,
)
from cairn.execution.services.figures import (
    Figures,
    Portfolio,
    Row,
    compute_figures,
    figures,
    plan_span,
    planned_figures,
    portfolio,
    rows,
)
from cairn.execution.services.spend import (
    LineSpend,
    budget_lines,
    compute_budget_lines,
    spent_by_initiative,
)

__all__ = [
    "BenefitRow",
    "CACHE_SECONDS",
    "EXECUTED",
    "Figures",
    "LineSpend",
    "Portfolio",
    "Row",
    "UNDER_WAY",
    "attach_benefits",
    "benefit_charts",
    "benefit_counts",
    "benefits",
    "budget_lines",
    "closed_month",
    "compute_benefits",
    "compute_budget_lines",
    "compute_figures",
    "figures",
    "first_reports",
    "latest_reports",
    "plan_span",
    "planned_figures",
    "planned_spend",
    "portfolio",
    "register",
    "rows",
    "spent_by_initiative",
    "started_on",
    "this_month",
    "tolerance",
]
