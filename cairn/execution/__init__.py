"""Execution: how the roadmap is going. Status reports on initiatives, spend against plan,
and the benefits each initiative promised, measured by the business KPIs they should move."""
