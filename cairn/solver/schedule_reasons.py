"""What a schedule breaks, or why no schedule exists, kept structured (``Reason``) and put
in words; the independent check of a schedule against every rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cairn.solver.schedule_model import Project, Schedule, load, topological

# --- Reasons: what a schedule breaks, or why none exists, kept structured


@dataclass(frozen=True)
class Reason:
    """One rule broken, or one reason no schedule fits, as data: the kind, the projects it
    names, the resource, the 0-based periods and the figures. ``text`` puts it in words, with
    the caller's names for projects and periods (plain ids and "period 3" by default), so a
    project id is never confused with a period number."""

    kind: str
    items: tuple[str, ...] = ()
    resource: str = ""
    periods: tuple[int, ...] = ()
    numbers: tuple[Decimal, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "items": list(self.items),
            "resource": self.resource,
            "periods": list(self.periods),
            "numbers": [str(n) for n in self.numbers],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        return cls(
            data["kind"],
            tuple(data.get("items", ())),
            data.get("resource", ""),
            tuple(data.get("periods", ())),
            tuple(Decimal(n) for n in data.get("numbers", ())),
        )

    def text(self, name=None, period=None) -> str:
        """In words. ``name(id)`` names a project and ``period(index)`` a period; without
        ``period`` periods are "period N" (the solver's own numbering)."""
        name = name or str
        labelled = period is not None
        label = period or (lambda t: f"period {t}")
        items = [name(i) for i in self.items]
        p, n, r = self.periods, self.numbers, self.resource
        kind = self.kind
        if kind == "no_start":
            return f"{items[0]} has no start"
        if kind == "before_earliest":
            if labelled:
                return f"{items[0]} starts in {label(p[0])}, before its earliest {label(p[1])}"
            return f"{items[0]} starts at {p[0]}, before its earliest {p[1]}"
        if kind == "past_horizon":
            return f"{items[0]} ends after the horizon"
        if kind == "moved_pin":
            if labelled:
                return f"{items[0]} was kept in {label(p[0])} but starts in {label(p[1])}"
            return f"{items[0]} was pinned to {p[0]} but starts at {p[1]}"
        if kind == "late":
            if labelled:
                return (
                    f"{items[0]} runs until the end of {label(p[0] - 1)}, after its deadline "
                    f"(finished before {label(p[1])})"
                )
            return f"{items[0]} ends at {p[0]}, after its deadline {p[1]}"
        if kind == "order":
            if labelled:
                return f"{items[0]} starts in {label(p[0])} before {items[1]} has ended"
            return f"{items[0]} starts at {p[0]} before {items[1]} has ended"
        if kind == "over":
            if labelled:
                return (
                    f"{r} is over capacity in {label(p[0])}: needs {_fmt(n[0])}, has {_fmt(n[1])}"
                )
            return f"{r} is over capacity in period {p[0]}: {n[0]} > {n[1]}"
        if kind == "never_fits":
            return (
                f"{items[0]} needs {_fmt(n[0])} of {r} for {n[2]} period(s) in a row, but {r} "
                f"never has more than {_fmt(n[1])} for that long"
            )
        if kind == "deadline":
            blocked = f" because it must follow {' → '.join(items[1:])}" if items[1:] else ""
            if labelled:
                return (
                    f"{items[0]} must be finished before {label(p[0])} starts, but cannot "
                    f"finish before the end of {label(p[1] - 1)}{blocked}"
                )
            return (
                f"{items[0]} cannot end by period {p[0]}: it cannot end before "
                f"period {p[1]}{blocked}"
            )
        if kind == "pin_order":
            if labelled:
                return (
                    f"{items[0]} is kept to start in {label(p[0])}, before {items[1]} can "
                    f"finish (at the end of {label(p[1] - 1)})"
                )
            return (
                f"{items[0]} is pinned to start in period {p[0]}, before "
                f"{items[1]} can end (period {p[1]})"
            )
        if kind == "pin_early":
            if labelled:
                return (
                    f"{items[0]} is kept to start in {label(p[0])}, before its earliest start "
                    f"{label(p[1])}"
                )
            return f"{items[0]} is pinned before its earliest start {p[1]}"
        if kind == "horizon":
            if labelled:
                return (
                    f"{items[0]} cannot finish within the roadmap (by the end of {label(p[0] - 1)})"
                )
            return f"{items[0]} cannot end within the horizon of {p[0]} periods"
        if kind == "pinned_overload":
            if labelled:
                return (
                    f"{r} is over capacity in {_periods([label(t) for t in p])} from the "
                    f"initiatives kept in place alone"
                )
            return (
                f"{r} is over capacity in period(s) {_periods(list(p))} from the "
                f"pinned projects alone"
            )
        if kind == "total_work":
            if labelled:
                return (
                    f"{r}: the work needs {_fmt(n[0])} in all, but the whole roadmap offers "
                    f"only {_fmt(n[1])}"
                )
            return (
                f"{r}: the work needs {_fmt(n[0])} in all but the horizon offers only {_fmt(n[1])}"
            )
        return (
            "the projects do not fit together within capacity, deadlines and pins; "
            "extend the horizon, add capacity, or relax a deadline"
        )


# --- An independent check


def check(problem: Schedule, start: Mapping[str, int]) -> list[str]:
    """Every way a schedule breaks the rules, in words (empty when it is valid)."""
    return [r.text() for r in check_reasons(problem, start)]


def check_reasons(problem: Schedule, start: Mapping[str, int]) -> list[Reason]:
    """Every way a schedule breaks the rules, structured (empty when it is valid)."""
    problems = []
    by_id = {p.id: p for p in problem.projects}
    for p in problem.projects:
        s = start.get(p.id)
        if s is None:
            problems.append(Reason("no_start", (p.id,)))
            continue
        if s < p.earliest:
            problems.append(Reason("before_earliest", (p.id,), periods=(s, p.earliest)))
        if s + p.duration > problem.horizon:
            problems.append(Reason("past_horizon", (p.id,)))
        if p.start is not None and s != p.start:
            problems.append(Reason("moved_pin", (p.id,), periods=(p.start, s)))
        if p.deadline is not None and s + p.duration > p.deadline:
            problems.append(Reason("late", (p.id,), periods=(s + p.duration, p.deadline)))
        for a in p.after:
            if a in start and start[a] + by_id[a].duration > s:
                problems.append(Reason("order", (p.id, a), periods=(s,)))
    for resource in problem.capacity:
        for t in range(problem.horizon):
            used = sum(
                (
                    p.demand.get(resource, Decimal(0))
                    for p in problem.projects
                    if p.id in start and start[p.id] <= t < start[p.id] + p.duration
                ),
                Decimal(0),
            )
            if used > problem.cap(resource, t):
                problems.append(
                    Reason(
                        "over",
                        resource=resource,
                        periods=(t,),
                        numbers=(used, problem.cap(resource, t)),
                    )
                )
    return problems


# --- Saying why no plan fits


def diagnose(problem: Schedule) -> list[str]:
    """Plain sentences on why no schedule exists (see ``diagnose_reasons``)."""
    return [r.text() for r in diagnose_reasons(problem)]


def diagnose_reasons(problem: Schedule) -> list[Reason]:
    """Why no schedule exists, structured: a project that can never fit a resource, a
    deadline its predecessors make impossible, a pin that breaks an order, or periods where
    the fixed work alone is too much."""
    reasons: list[Reason] = []
    by_id = {p.id: p for p in problem.projects}
    order = topological(problem) or []
    earliest_end: dict[str, int] = {}
    for p in order:
        begin = max([p.earliest, *(earliest_end[a] for a in p.after)])
        if p.start is not None:
            begin = max(begin, p.start)
        earliest_end[p.id] = begin + p.duration
    for p in problem.projects:
        for resource, amount in p.demand.items():
            if not amount or not p.duration:
                continue
            best = max(
                (
                    min(problem.capacity[resource][t : t + p.duration])
                    for t in range(problem.horizon - p.duration + 1)
                ),
                default=Decimal(0),
            )
            if amount > best:
                reasons.append(
                    Reason(
                        "never_fits",
                        (p.id,),
                        resource,
                        numbers=(amount, best, Decimal(p.duration)),
                    )
                )
        if p.deadline is not None and earliest_end[p.id] > p.deadline:
            chain = _chain(p, by_id, earliest_end)
            reasons.append(
                Reason("deadline", (p.id, *chain), periods=(p.deadline, earliest_end[p.id]))
            )
        if p.start is not None:
            for a in p.after:
                if p.start < earliest_end[a]:
                    reasons.append(
                        Reason("pin_order", (p.id, a), periods=(p.start, earliest_end[a]))
                    )
            if p.start < p.earliest:
                reasons.append(Reason("pin_early", (p.id,), periods=(p.start, p.earliest)))
        if earliest_end.get(p.id, 0) > problem.horizon:
            reasons.append(Reason("horizon", (p.id,), periods=(problem.horizon,)))
    pinned = {p.id: p.start for p in problem.projects if p.start is not None}
    use = load(problem, pinned)
    for resource, values in use.items():
        over = [t for t, v in enumerate(values) if v > problem.cap(resource, t)]
        if over:
            reasons.append(Reason("pinned_overload", resource=resource, periods=tuple(over)))
    for resource in problem.capacity:
        need = sum(
            (p.demand.get(resource, Decimal(0)) * p.duration for p in problem.projects), Decimal(0)
        )
        have = sum(problem.capacity[resource], Decimal(0))
        if need > have:
            reasons.append(Reason("total_work", resource=resource, numbers=(need, have)))
    if not reasons:
        reasons.append(Reason("tangled"))
    return reasons


def _chain(p: Project, by_id, earliest_end) -> list[str]:
    """The chain of predecessors that sets a project's earliest end."""
    chain, current = [], p
    while current.after:
        before = max(current.after, key=lambda a: earliest_end[a])
        chain.append(before)
        current = by_id[before]
    return list(reversed(chain))


def _periods(periods: list) -> str:
    if len(periods) > 6:
        return ", ".join(map(str, periods[:6])) + f" and {len(periods) - 6} more"
    return ", ".join(map(str, periods))


def _fmt(number: Decimal) -> str:
    return f"{number:,.2f}".rstrip("0").rstrip(".")
