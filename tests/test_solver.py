"""The portfolio optimiser: exact against brute force, always feasible, never below ranking."""

import io
import itertools
import json
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cairn.solver.portfolio import (
    Problem,
    ProblemError,
    by_value,
    by_value_per_cost,
    explain,
    fits,
    parse_problem,
    rank_and_fund,
    solve,
    total_value,
)


@st.composite
def problems(draw, max_items=12):
    n = draw(st.integers(1, max_items))
    resources = draw(
        st.lists(
            st.sampled_from(["budget", "staff", "run_cost"]), min_size=1, max_size=3, unique=True
        )
    )
    items = []
    for i in range(n):
        requires = draw(st.lists(st.integers(0, i - 1), max_size=2, unique=True)) if i else []
        excludes = draw(st.lists(st.integers(0, i - 1), max_size=1, unique=True)) if i else []
        excludes = [e for e in excludes if e not in requires]
        items.append(
            {
                "id": f"i{i}",
                "value": draw(st.decimals(0, 100, places=1, allow_nan=False)),
                "cost": {r: draw(st.decimals(0, 50, places=2, allow_nan=False)) for r in resources},
                "kind": draw(st.sampled_from(["run", "change"])),
                "mandatory": draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans()),
                "requires": [f"i{r}" for r in requires],
                "excludes": [f"i{e}" for e in excludes],
            }
        )
    capacity = {r: draw(st.decimals(0, 25 * n, places=1, allow_nan=False)) for r in resources}
    share = draw(st.one_of(st.none(), st.decimals(0, 1, places=2, allow_nan=False)))
    return parse_problem(
        {
            "items": [
                {**i, "value": str(i["value"]), "cost": {k: str(v) for k, v in i["cost"].items()}}
                for i in items
            ],
            "capacity": {k: str(v) for k, v in capacity.items()},
            "min_change_share": None if share is None else str(share),
            "time_limit_s": 10,
        }
    )


def brute_force(problem: Problem) -> Decimal | None:
    """The best value by trying every subset (2**n), built up one item at a time per mask."""
    items = list(problem.items)
    n = len(items)
    pos = {item.id: k for k, item in enumerate(items)}
    bit = [1 << k for k in range(n)]
    req = [sum(bit[pos[r]] for r in item.requires) for item in items]
    exc = [sum(bit[pos[x]] for x in item.excludes) for item in items]
    mandatory = sum(bit[k] for k, item in enumerate(items) if item.mandatory)
    resources = list(problem.capacity)
    size = 1 << n
    value = [Decimal(0)] * size
    need, clash = [0] * size, [0] * size
    cost = {r: [Decimal(0)] * size for r in resources}
    key = problem.share_of or resources[0]
    change = [Decimal(0)] * size
    best = None
    for mask in range(size):
        if mask:
            low = (mask & -mask).bit_length() - 1
            rest = mask ^ bit[low]
            item = items[low]
            value[mask] = value[rest] + item.value
            need[mask], clash[mask] = need[rest] | req[low], clash[rest] | exc[low]
            for r in resources:
                cost[r][mask] = cost[r][rest] + item.cost.get(r, Decimal(0))
            change[mask] = change[rest] + (
                item.cost.get(key, Decimal(0)) if item.kind == "change" else Decimal(0)
            )
        if mask & mandatory != mandatory or need[mask] & ~mask or clash[mask] & mask:
            continue
        if any(cost[r][mask] > problem.capacity[r] for r in resources):
            continue
        if problem.min_change_share and change[mask] < problem.min_change_share * cost[key][mask]:
            continue
        if best is None or value[mask] > best:
            best = value[mask]
    return best


def test_brute_force_agrees_with_the_plain_check():
    """The fast brute force and ``fits`` judge every subset of a small problem alike."""
    problem = parse_problem(
        {
            "items": [
                {"id": "a", "value": 3, "cost": {"b": 2}, "kind": "run"},
                {"id": "b", "value": 2, "cost": {"b": 2}, "requires": ["a"]},
                {"id": "c", "value": 4, "cost": {"b": 3}, "excludes": ["a"]},
            ],
            "capacity": {"b": 4},
            "min_change_share": 0.5,
        }
    )
    best = max(
        total_value(problem, c)
        for r in range(4)
        for c in itertools.combinations(["a", "b", "c"], r)
        if fits(problem, c)
    )
    assert brute_force(problem) == best == 5


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_items=15))
def test_equals_brute_force_and_is_feasible(problem):
    answer = solve(problem)
    best = brute_force(problem)
    if best is None:
        assert answer.status == "infeasible"
        return
    assert answer.status == "optimal"
    assert fits(problem, answer.selected)
    assert Decimal(str(answer.value)) == best == total_value(problem, answer.selected)


@settings(max_examples=40, deadline=None)
@given(problems(max_items=25))
def test_never_worse_than_either_ranking(problem):
    answer = solve(problem)
    for order in (by_value(problem), by_value_per_cost(problem)):
        ranked = rank_and_fund(problem, order)
        if ranked is not None:
            assert fits(problem, ranked)
            assert answer.value >= float(total_value(problem, ranked)) - 1e-9
    if answer.selected:
        assert fits(problem, answer.selected)


def test_exact_with_decimals():
    problem = parse_problem(
        {
            "items": [
                {"id": "a", "value": "0.1", "cost": {"m": "0.3"}},
                {"id": "b", "value": "0.2", "cost": {"m": "0.3"}},
                {"id": "c", "value": "0.3", "cost": {"m": "0.4"}},
            ],
            "capacity": {"m": "0.7"},
        }
    )
    answer = solve(problem)
    assert answer.selected == ["b", "c"] and answer.value == 0.5 and answer.status == "optimal"


def test_the_issue_example():
    problem = parse_problem(
        {
            "items": [
                {
                    "id": "crm",
                    "value": 8.5,
                    "cost": {"budget": 120000, "staff": 2.5},
                    "kind": "change",
                    "mandatory": False,
                    "requires": ["data-lake"],
                    "excludes": ["crm-lite"],
                },
                {"id": "data-lake", "value": 8.5, "cost": {"budget": 200000, "staff": 3}},
                {"id": "crm-lite", "value": 5, "cost": {"budget": 50000, "staff": 1}},
            ],
            "capacity": {"budget": 500000, "staff": 10},
            "min_change_share": 0.3,
            "share_of": "budget",
            "time_limit_s": 10,
        }
    )
    answer = solve(problem)
    assert answer.as_dict()["selected"] == ["crm", "data-lake"]
    assert answer.value == answer.bound == 17.0


def test_the_optimiser_beats_ranking_when_costs_differ():
    # Ranking by value takes the big item and fills up; the optimiser takes the two smaller.
    problem = parse_problem(
        {
            "items": [
                {"id": "big", "value": 10, "cost": {"b": 60}},
                {"id": "m1", "value": 7, "cost": {"b": 50}},
                {"id": "m2", "value": 7, "cost": {"b": 50}},
            ],
            "capacity": {"b": 100},
        }
    )
    assert rank_and_fund(problem, by_value(problem)) == ["big"]
    assert solve(problem).selected == ["m1", "m2"]


def test_explain_names_the_binding_limit_and_the_price():
    problem = parse_problem(
        {
            "items": [
                {"id": "big", "value": 10, "cost": {"budget": 60}},
                {"id": "m1", "value": 7, "cost": {"budget": 50}},
                {"id": "m2", "value": 7, "cost": {"budget": 50}},
                {"id": "huge", "value": 99, "cost": {"budget": 500}},
            ],
            "capacity": {"budget": 100},
        }
    )
    answer = solve(problem)
    why = explain(problem, answer, "big")
    assert "budget: needs 60, only 0 of 100 left" in why.reasons
    assert why.value_lost == 4.0 and why.dropped == ["m1", "m2"]  # 60 leaves room for neither
    never = explain(problem, answer, "huge")
    assert never.value_lost is None
    assert "needs 500 of budget on its own; the limit is 100" in never.reasons


@pytest.mark.parametrize(
    "data, message",
    [
        ({"capacity": {"b": 1}}, "missing field 'items'"),
        ({"items": [], "capacity": {}}, "at least one limit"),
        ({"items": [{"id": "a", "value": 1}], "capacity": {"b": 1}}, "missing field 'cost'"),
        (
            {"items": [{"id": "a", "value": 1, "cost": {"b": -1}}], "capacity": {"b": 1}},
            "must not be negative",
        ),
        (
            {
                "items": [{"id": "a", "value": 1, "cost": {"b": 1}, "requires": ["z"]}],
                "capacity": {"b": 1},
            },
            "unknown item 'z'",
        ),
        (
            {"items": [{"id": "a", "value": 1, "cost": {"c": 1}}], "capacity": {"b": 1}},
            "which capacity lacks",
        ),
        (
            {"items": [{"id": "a", "value": "x", "cost": {}}], "capacity": {"b": 1}},
            "must be a number",
        ),
        (
            {
                "items": [{"id": "a", "value": 1, "cost": {}}, {"id": "a", "value": 1, "cost": {}}],
                "capacity": {"b": 1},
            },
            "appears twice",
        ),
        ({"items": [], "capacity": {"b": 1}, "min_change_share": 2}, "between 0 and 1"),
    ],
)
def test_malformed_problems_are_refused_with_a_clear_message(data, message):
    with pytest.raises(ProblemError, match=message.replace("(", r"\(")):
        parse_problem(data)


def test_command_line(tmp_path):
    from django.core.management import call_command

    path = tmp_path / "p.json"
    path.write_text(
        json.dumps({"items": [{"id": "x", "value": 2, "cost": {"b": 1}}], "capacity": {"b": 1}})
    )
    out = io.StringIO()
    call_command("solve-portfolio", str(path), stdout=out)
    assert json.loads(out.getvalue())["selected"] == ["x"]
    bad = subprocess.run(
        [sys.executable, "-m", "cairn.cli", "solve-portfolio", "-"],
        input='{"items": [',
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("solve-portfolio: not JSON")
    assert len(bad.stderr.strip().splitlines()) == 1
