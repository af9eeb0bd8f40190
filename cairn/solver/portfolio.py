"""Choose the most valuable set of items that fits every limit: a 0–1 knapsack with several
limits, dependencies, exclusions, mandatory items and a minimum share of change.

Solved exactly with OR-Tools CP-SAT. Decimal values and costs are scaled to integers so the
answer is exact for the inputs given. The search starts from the better of two rankings
(by value, and by value per unit of cost), so the answer is never worse than either.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from cairn.solver.graph import back_edges

MAX_ITEMS = 20_000
MAX_SCALE_DIGITS = 6  # decimals kept exactly; more are refused rather than rounded silently
MAX_TOTAL = 10**15  # scaled sums must stay well inside CP-SAT's 64-bit integers


class ProblemError(ValueError):
    """A malformed problem; the message names what is wrong in one line."""


@dataclass(frozen=True)
class Item:
    id: str
    value: Decimal
    cost: Mapping[str, Decimal]
    kind: str = "change"  # "run" or "change"
    mandatory: bool = False
    requires: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    items: tuple[Item, ...]
    capacity: Mapping[str, Decimal]
    min_change_share: Decimal | None = None
    share_of: str | None = None
    time_limit_s: float = 10.0
    workers: int = 8


@dataclass
class Answer:
    status: str  # optimal | feasible | infeasible
    selected: list[str]
    value: float
    bound: float
    solve_time_s: float
    source: str = "solver"  # or "ranking" when a ranking beat the solver's best in time

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "selected": self.selected,
            "value": self.value,
            "bound": self.bound,
            "solve_time_s": round(self.solve_time_s, 3),
        }


# --- Reading a problem


def _number(value: Any, where: str, *, minimum: Decimal | None = Decimal(0)) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ProblemError(f"{where} must be a number, not {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ProblemError(f"{where} must be a number, not {value!r}") from None
    if not number.is_finite():
        raise ProblemError(f"{where} must be a finite number")
    if minimum is not None and number < minimum:
        raise ProblemError(f"{where} must not be negative ({value})")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_SCALE_DIGITS:
        raise ProblemError(f"{where} has more than {MAX_SCALE_DIGITS} decimal places")
    return number


def _ids(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise ProblemError(f"{where} must be a list of ids")
    return tuple(str(v) for v in value)


def parse_problem(data: Any) -> Problem:
    """A Problem from JSON-like data, or ProblemError naming the first thing that is wrong."""
    if not isinstance(data, dict):
        raise ProblemError("the problem must be a JSON object")
    for key in ("items", "capacity"):
        if key not in data:
            raise ProblemError(f"missing field {key!r}")
    if not isinstance(data["capacity"], dict) or not data["capacity"]:
        raise ProblemError("'capacity' must be an object with at least one limit")
    capacity = {str(k): _number(v, f"capacity {k!r}") for k, v in data["capacity"].items()}
    if not isinstance(data["items"], list):
        raise ProblemError("'items' must be a list")
    if len(data["items"]) > MAX_ITEMS:
        raise ProblemError(f"at most {MAX_ITEMS} items")
    items = []
    for n, raw in enumerate(data["items"]):
        if not isinstance(raw, dict):
            raise ProblemError(f"item {n} must be an object")
        for key in ("id", "value", "cost"):
            if key not in raw:
                raise ProblemError(f"item {n} is missing field {key!r}")
        item_id = str(raw["id"])
        if not isinstance(raw["cost"], dict):
            raise ProblemError(f"item {item_id!r}: 'cost' must be an object")
        cost = {}
        for k, v in raw["cost"].items():
            if k not in capacity:
                raise ProblemError(f"item {item_id!r} has a cost in {k!r}, which capacity lacks")
            cost[str(k)] = _number(v, f"item {item_id!r} cost {k!r}")
        kind = raw.get("kind", "change")
        if kind not in ("run", "change"):
            raise ProblemError(f"item {item_id!r}: kind must be 'run' or 'change'")
        items.append(
            Item(
                id=item_id,
                value=_number(raw["value"], f"item {item_id!r} value"),
                cost=cost,
                kind=kind,
                mandatory=bool(raw.get("mandatory", False)),
                requires=_ids(raw.get("requires"), f"item {item_id!r} requires"),
                excludes=_ids(raw.get("excludes"), f"item {item_id!r} excludes"),
            )
        )
    share = data.get("min_change_share")
    share = None if share is None else _number(share, "min_change_share")
    if share is not None and share > 1:
        raise ProblemError("min_change_share is a share between 0 and 1")
    share_of = data.get("share_of")
    if share_of is not None and share_of not in capacity:
        raise ProblemError(f"share_of {share_of!r} is not a capacity")
    limit = data.get("time_limit_s", 10)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or not 0 < limit <= 3600:
        raise ProblemError("time_limit_s must be a number of seconds between 0 and 3600")
    problem = Problem(
        items=tuple(items),
        capacity=capacity,
        min_change_share=share,
        share_of=share_of or next(iter(capacity)),
        time_limit_s=float(limit),
    )
    validate(problem)
    return problem


def validate(problem: Problem) -> None:
    """Unique ids, known ids in requires and excludes, no cycle of requirements."""
    ids = [item.id for item in problem.items]
    seen: set[str] = set()
    for item_id in ids:
        if item_id in seen:
            raise ProblemError(f"item id {item_id!r} appears twice")
        seen.add(item_id)
    for item in problem.items:
        for other in (*item.requires, *item.excludes):
            if other not in seen:
                raise ProblemError(f"item {item.id!r} refers to unknown item {other!r}")
            if other == item.id:
                raise ProblemError(f"item {item.id!r} refers to itself")
    requires = {item.id: item.requires for item in problem.items}
    for _node, child in back_edges(requires):
        raise ProblemError(f"requirements go round in a circle through {child!r}")


# --- Exact integers


def _scale(numbers: Iterable[Decimal]) -> int:
    """The power of ten that makes every number an integer."""
    digits = 0
    for n in numbers:
        exponent = Decimal(str(n)).normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            digits = max(digits, -exponent)
    return 10**digits


@dataclass
class _Scaled:
    value: dict[str, int]
    cost: dict[str, dict[str, int]]  # resource → item → cost
    capacity: dict[str, int]
    value_scale: int
    share: Fraction | None = None
    share_of: str | None = None
    index: dict[str, Item] = field(default_factory=dict)


def _scaled(problem: Problem) -> _Scaled:
    value_scale = _scale(i.value for i in problem.items)
    values = {i.id: int(i.value * value_scale) for i in problem.items}
    costs, capacity = {}, {}
    for resource, limit in problem.capacity.items():
        scale = _scale([limit, *(i.cost.get(resource, Decimal(0)) for i in problem.items)])
        costs[resource] = {
            i.id: int(i.cost.get(resource, Decimal(0)) * scale) for i in problem.items
        }
        # Items costing more than the whole limit can never be chosen; clamp to keep sums small.
        capacity[resource] = int(limit * scale)
        if sum(costs[resource].values()) > MAX_TOTAL or capacity[resource] > MAX_TOTAL:
            raise ProblemError(f"costs in {resource!r} are too large to handle exactly")
    if sum(values.values()) > MAX_TOTAL:
        raise ProblemError("values are too large to handle exactly")
    share = None
    if problem.min_change_share:
        share = Fraction(str(problem.min_change_share))
    return _Scaled(
        values,
        costs,
        capacity,
        value_scale,
        share,
        problem.share_of,
        {i.id: i for i in problem.items},
    )


# --- Rankings (what "fund down the list" chooses)


def closure(item_id: str, index: Mapping[str, Item]) -> list[str]:
    """An item and everything it requires, directly or not."""
    out, stack = [], [item_id]
    while stack:
        current = stack.pop()
        if current not in out:
            out.append(current)
            stack.extend(index[current].requires)
    return out


def fits(problem: Problem, selected: Iterable[str]) -> bool:
    """True when a selection meets every limit, dependency, exclusion and mandatory item."""
    chosen = set(selected)
    index = {i.id: i for i in problem.items}
    for item in problem.items:
        if item.mandatory and item.id not in chosen:
            return False
    for item_id in chosen:
        item = index[item_id]
        if any(r not in chosen for r in item.requires):
            return False
        if any(x in chosen for x in item.excludes):
            return False
    for resource, limit in problem.capacity.items():
        if sum(index[i].cost.get(resource, Decimal(0)) for i in chosen) > limit:
            return False
    if problem.min_change_share:
        key = problem.share_of or next(iter(problem.capacity))
        total = sum(index[i].cost.get(key, Decimal(0)) for i in chosen)
        change = sum(
            index[i].cost.get(key, Decimal(0)) for i in chosen if index[i].kind == "change"
        )
        if change < problem.min_change_share * total:
            return False
    return True


def rank_and_fund(problem: Problem, order: list[str]) -> list[str] | None:
    """Walk down a ranked list, funding each item (with what it requires) while it fits.

    Mandatory items are funded first. Returns None when even they do not fit.
    """
    index = {i.id: i for i in problem.items}
    chosen: list[str] = []
    used = {r: Decimal(0) for r in problem.capacity}
    blocked: set[str] = set()

    def add(group: list[str]) -> bool:
        new = [g for g in group if g not in chosen]
        if any(g in blocked for g in new):
            return False
        extra = {r: sum(index[g].cost.get(r, Decimal(0)) for g in new) for r in used}
        if any(used[r] + extra[r] > problem.capacity[r] for r in used):
            return False
        if any(x in chosen or x in new for g in new for x in index[g].excludes):
            return False
        for g in new:
            chosen.append(g)
            blocked.update(index[g].excludes)
        for r in used:
            used[r] += extra[r]
        return True

    mandatory = [m for i in problem.items if i.mandatory for m in closure(i.id, index)]
    if mandatory and not add(list(dict.fromkeys(mandatory))):
        return None
    for item_id in order:
        if item_id not in chosen:
            add(closure(item_id, index))
    return chosen if fits(problem, chosen) else None


def by_value(problem: Problem) -> list[str]:
    return [i.id for i in sorted(problem.items, key=lambda i: (-i.value, i.id))]


def by_value_per_cost(problem: Problem) -> list[str]:
    """Value per unit of the (capacity-normalised) cost, the classic greedy ratio."""

    def weight(item: Item) -> Decimal:
        return sum(
            (item.cost.get(r, Decimal(0)) / limit if limit else Decimal(10**9))
            for r, limit in problem.capacity.items()
        )

    return [
        i.id
        for i in sorted(
            problem.items, key=lambda i: (-(i.value / (weight(i) or Decimal("1e-9"))), i.id)
        )
    ]


def total_value(problem: Problem, selected: Iterable[str]) -> Decimal:
    index = {i.id: i for i in problem.items}
    return sum((index[i].value for i in selected), Decimal(0))


# --- The linear relaxation: a bound, and a good starting point on large problems


def lp_relaxation(problem: Problem) -> tuple[float, dict[str, float]] | None:
    """The LP relaxation (each item taken 0 to 1): an upper bound on the value, and the share
    of each item it takes. None when the relaxation itself is infeasible or fails."""
    from ortools.linear_solver import pywraplp

    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:
        return None
    x = {
        i.id: lp.NumVar(1.0 if i.mandatory else 0.0, 1.0, f"x{n}")
        for n, i in enumerate(problem.items)
    }
    for item in problem.items:
        for required in item.requires:
            lp.Add(x[item.id] <= x[required])
        for excluded in item.excludes:
            lp.Add(x[item.id] + x[excluded] <= 1)
    for resource, limit in problem.capacity.items():
        terms = [float(i.cost[resource]) * x[i.id] for i in problem.items if i.cost.get(resource)]
        if terms:
            lp.Add(lp.Sum(terms) <= float(limit))
    if problem.min_change_share and problem.share_of:
        share, key = float(problem.min_change_share), problem.share_of
        lp.Add(
            lp.Sum(
                [
                    float(i.cost.get(key, 0))
                    * (1 - share if i.kind == "change" else -share)
                    * x[i.id]
                    for i in problem.items
                ]
            )
            >= 0
        )
    lp.Maximize(lp.Sum([float(i.value) * x[i.id] for i in problem.items]))
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return lp.Objective().Value(), {k: v.solution_value() for k, v in x.items()}


def by_relaxation(problem: Problem, shares: dict[str, float]) -> list[str]:
    """Items the relaxation takes whole first, then by how much of them it takes, then by ratio."""
    ratio = {item_id: n for n, item_id in enumerate(by_value_per_cost(problem))}
    return sorted(shares, key=lambda k: (-round(shares[k], 6), ratio[k]))


# --- The optimiser


def solve(problem: Problem, *, extra_constraints=None) -> Answer:
    """The most valuable selection that meets every constraint, with its proven status."""
    from ortools.sat.python import cp_model

    validate(problem)
    started = time.perf_counter()
    s = _scaled(problem)
    model = cp_model.CpModel()
    x = {i.id: model.new_bool_var(f"x_{n}") for n, i in enumerate(problem.items)}
    for item in problem.items:
        if item.mandatory:
            model.add(x[item.id] == 1)
        for required in item.requires:
            model.add_implication(x[item.id], x[required])
        for excluded in item.excludes:
            model.add_bool_or([x[item.id].Not(), x[excluded].Not()])
    for resource, limit in s.capacity.items():
        terms = [(c, x[i]) for i, c in s.cost[resource].items() if c]
        for i, c in s.cost[resource].items():
            if c > limit:
                model.add(x[i] == 0)  # can never fit
        if terms:
            model.add(sum(c * v for c, v in terms) <= limit)
    if s.share is not None and s.share_of:
        costs = s.cost[s.share_of]
        p, q = s.share.numerator, s.share.denominator
        # change cost ≥ share × all cost  ⇔  q·change ≥ p·all
        model.add(
            sum(q * costs[i.id] * x[i.id] for i in problem.items if i.kind == "change")
            >= sum(p * costs[i.id] * x[i.id] for i in problem.items)
        )
    if extra_constraints:
        extra_constraints(model, x)
    model.maximize(sum(v * x[i] for i, v in s.value.items() if v))

    orders = [by_value(problem), by_value_per_cost(problem)]
    relaxation = None
    if extra_constraints is None and len(problem.items) > 100:
        # Large problems: the LP gives a tighter bound and a near-optimal start (rounding it down
        # loses at most one item per limit), which CP-SAT then improves.
        relaxation = lp_relaxation(problem)
        if relaxation is not None:
            orders.append(by_relaxation(problem, relaxation[1]))
    rankings = [r for r in (rank_and_fund(problem, order) for order in orders) if r is not None]
    best_ranking = max(rankings, key=lambda r: total_value(problem, r), default=None)
    if best_ranking is not None and extra_constraints is None:
        chosen = set(best_ranking)
        for i in problem.items:
            model.add_hint(x[i.id], i.id in chosen)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = problem.time_limit_s
    solver.parameters.num_workers = problem.workers
    status = solver.solve(model)
    elapsed = time.perf_counter() - started
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        selected = [i.id for i in problem.items if solver.boolean_value(x[i.id])]
        value = Decimal(round(solver.objective_value)) / s.value_scale
        bound = Decimal(math.floor(solver.best_objective_bound + 1e-6)) / s.value_scale
        if relaxation is not None:  # both are proven upper bounds: keep the tighter
            lp_bound = Decimal(math.floor(relaxation[0] * s.value_scale + 1e-6)) / s.value_scale
            bound = min(bound, lp_bound)
        answer = Answer(
            "optimal" if status == cp_model.OPTIMAL else "feasible",
            selected,
            float(value),
            float(max(bound, value)),
            elapsed,
        )
        if best_ranking is not None and extra_constraints is None:
            ranked_value = total_value(problem, best_ranking)
            if ranked_value > value:  # only when time ran out before the hint was improved
                answer = Answer(
                    "feasible",
                    best_ranking,
                    float(ranked_value),
                    answer.bound,
                    elapsed,
                    source="ranking",
                )
        return answer
    if status == cp_model.INFEASIBLE:
        return Answer("infeasible", [], 0.0, 0.0, elapsed)
    if best_ranking is not None and extra_constraints is None:
        ranked_value = float(total_value(problem, best_ranking))
        total = float(sum(i.value for i in problem.items))
        return Answer("feasible", best_ranking, ranked_value, total, elapsed, source="ranking")
    return Answer("unknown", [], 0.0, float(sum(i.value for i in problem.items)), elapsed)


# --- Explaining a "no"


@dataclass
class Explanation:
    item: str
    reasons: list[str]  # plain sentences: which limit binds, which exclusion or requirement
    dropped: list[str]  # chosen items that would have to go to fit it in
    value_lost: float | None  # value given up by forcing it in (None: it can never fit)
    priced: bool = True  # False when time ran out before forcing it in was tried


def explain(
    problem: Problem,
    answer: Answer,
    item_id: str,
    *,
    time_limit_s: float = 1.0,
    labels: Mapping[str, str] | None = None,
    price: bool = True,
) -> Explanation:
    """Why an item was left out, and (with ``price``) what forcing it in would cost."""
    labels = labels or {}
    index = {i.id: i for i in problem.items}
    chosen = set(answer.selected)
    group = [g for g in closure(item_id, index) if g not in chosen]
    reasons: list[str] = []
    for resource, limit in problem.capacity.items():
        used = sum(index[c].cost.get(resource, Decimal(0)) for c in chosen)
        need = sum(index[g].cost.get(resource, Decimal(0)) for g in group)
        if need > limit:
            reasons.append(
                f"needs {_fmt(need)} of {resource} on its own; the limit is {_fmt(limit)}"
            )
        elif used + need > limit:
            reasons.append(
                f"{resource}: needs {_fmt(need)}, only {_fmt(limit - used)} of {_fmt(limit)} left"
            )
    for g in group:
        clash = [c for c in chosen if g in index[c].excludes or c in index[g].excludes]
        for c in clash:
            reasons.append(f"cannot go with {labels.get(c, c)}, which was chosen")
    if len(group) > 1:
        others = [labels.get(g, g) for g in group if g != item_id]
        reasons.append("brings along what it depends on: " + ", ".join(others))
    if not price:
        return Explanation(
            item_id, reasons or ["other initiatives gave more value"], [], None, priced=False
        )
    forced = Problem(
        problem.items,
        problem.capacity,
        problem.min_change_share,
        problem.share_of,
        time_limit_s,
        problem.workers,
    )

    def force(model, x):
        model.add(x[item_id] == 1)

    alternative = solve(forced, extra_constraints=force)
    if alternative.status in ("infeasible", "unknown"):
        if not reasons:
            reasons.append("no selection that meets every limit can include it")
        return Explanation(item_id, reasons, [], None)
    if not reasons:
        reasons.append("the change-share target leaves no room for it")
    dropped = [c for c in answer.selected if c not in set(alternative.selected)]
    return Explanation(item_id, reasons, dropped, round(answer.value - alternative.value, 6))


def _fmt(number: Decimal) -> str:
    return f"{number:,.2f}".rstrip("0").rstrip(".")
