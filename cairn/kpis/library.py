"""IT metrics a CIO reports today, and the business KPI to report instead.

The first four are the method's own examples. Adding one from the library
creates the KPI with its name, unit, direction, rhythm and the metric it
replaces; the organisation then sets the baseline, target and goals.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Translation:
    key: str
    it_metric: str
    kpi: str
    unit: str
    higher_is_better: bool
    rhythm: str
    why: str


LIBRARY: list[Translation] = [
    Translation(
        "checkout-success",
        "Server uptime",
        "Share of online orders completed without an error",
        "%",
        True,
        "weekly",
        "Customers feel failed checkouts, not server minutes; this counts the sales that worked.",
    ),
    Translation(
        "tool-satisfaction",
        "Help-desk tickets closed",
        "Employee satisfaction with their work tools",
        "score out of 10",
        True,
        "quarterly",
        "Closing tickets fast says nothing about whether people can do their jobs with the tools.",
    ),
    Translation(
        "time-to-market",
        "Projects delivered on time",
        "Time from idea to launch of a new product or service",
        "days",
        False,
        "quarterly",
        "The business wins when new offers reach customers sooner, not when plans are met.",
    ),
    Translation(
        "remote-demos",
        "Network bandwidth",
        "Share of remote sales demos that run without a technical problem",
        "%",
        True,
        "monthly",
        "Sales needs demos that work from anywhere; bandwidth is only one reason they fail.",
    ),
    Translation(
        "cost-per-order",
        "IT spend against budget",
        "IT cost per order shipped",
        "€",
        False,
        "quarterly",
        "Ties IT spending to the volume of business it carries, so growth and savings both show.",
    ),
    Translation(
        "order-to-cash",
        "ERP availability",
        "Days from order to cash received",
        "days",
        False,
        "monthly",
        "Cash in the bank sooner is what the finance director wants from the ERP.",
    ),
    Translation(
        "close-days",
        "Batch jobs completed",
        "Working days to close the books each month",
        "days",
        False,
        "monthly",
        "A faster close gives leaders the numbers while they can still act on them.",
    ),
    Translation(
        "first-contact",
        "Call-centre system response time",
        "Customer questions answered on first contact",
        "%",
        True,
        "monthly",
        "Customers remember being helped at once, not how fast a screen loaded.",
    ),
    Translation(
        "onboarding-days",
        "Accounts provisioned",
        "Days until a new hire is fully productive",
        "days",
        False,
        "quarterly",
        "Every day a new colleague waits for access is a day of salary without output.",
    ),
    Translation(
        "digital-share",
        "Website page views",
        "Share of revenue from digital channels",
        "%",
        True,
        "monthly",
        "Traffic is a means; revenue through digital channels is the end.",
    ),
    Translation(
        "conversion",
        "Website response time",
        "Share of website visits that end in a purchase",
        "%",
        True,
        "weekly",
        "Speed matters only as far as it turns visitors into buyers.",
    ),
    Translation(
        "stock-accuracy",
        "Warehouse system uptime",
        "Stock records that match the shelf",
        "%",
        True,
        "monthly",
        "Accurate stock avoids lost sales and over-ordering; uptime alone does not.",
    ),
    Translation(
        "data-decisions",
        "Reports produced",
        "Share of management decisions made with up-to-date data",
        "%",
        True,
        "quarterly",
        "Reports nobody reads cost money; decisions taken on current figures make it.",
    ),
    Translation(
        "security-loss",
        "Security patches applied",
        "Business hours lost to security incidents",
        "hours",
        False,
        "quarterly",
        "The board understands hours of lost trading better than patch counts.",
    ),
    Translation(
        "manual-hours",
        "Automation scripts deployed",
        "Staff hours a month spent on manual data entry",
        "hours",
        False,
        "monthly",
        "Counts the time given back to people, which is why automation is worth paying for.",
    ),
    Translation(
        "recovery-minutes",
        "Backup success rate",
        "Minutes to resume selling after a system failure",
        "minutes",
        False,
        "quarterly",
        "A backup that works but takes a day to restore still loses a day of sales.",
    ),
    Translation(
        "supplier-cycle",
        "EDI messages processed",
        "Days from purchase request to goods received",
        "days",
        False,
        "monthly",
        "Operations cares about how quickly supplies arrive, not the message volume.",
    ),
    Translation(
        "retention",
        "CRM licences in use",
        "Share of customers who buy again within a year",
        "%",
        True,
        "quarterly",
        "A CRM is worth its licences when customers come back.",
    ),
]

BY_KEY = {t.key: t for t in LIBRARY}
