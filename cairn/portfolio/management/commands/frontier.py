from cairn.portfolio.management.json_command import JsonProblemCommand
from cairn.solver.frontier import frontier, parse_frontier


class _Curve(dict):
    def as_dict(self) -> dict:
        return self


def _solve(parsed) -> _Curve:
    problem, limit = parsed
    return _Curve(frontier(problem, limit))


class Command(JsonProblemCommand):
    help = (
        "The best value for every amount of one limit, from zero to twice the current amount "
        "(the efficient frontier), the curves of the staff limits from half to double and a "
        "shadow price per limit. Reads a problem as `cairn solve-portfolio` does, with an "
        'optional "limit" naming the limit to vary (the first by default), from FILE (or - '
        "for standard input) and prints the curve as JSON."
    )
    name = "frontier"
    parse = staticmethod(parse_frontier)
    solve = staticmethod(_solve)
