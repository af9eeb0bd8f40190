from cairn.portfolio.management.json_command import JsonProblemCommand
from cairn.solver.risk import parse_risk, simulate


class _Figures(dict):
    def as_dict(self) -> dict:
        return self


class Command(JsonProblemCommand):
    help = (
        "How likely the dates are: a Monte-Carlo simulation of a schedule. Reads the JSON of "
        '`cairn schedule` plus, per project, an optional "estimate" {"low", "high"} in '
        'periods and "cost" {"low", "likely", "high"}, and at the top an optional "start" '
        '(the planned starts, as `cairn schedule` prints them), "runs" (10,000), "seed" and '
        '"budget", from FILE (or - for standard input); prints each project\'s P50/P80/P95 '
        "finish, chance of meeting its deadline and criticality, the finish and cost "
        "percentiles and the tornado, as JSON."
    )
    name = "simulate"
    parse = staticmethod(parse_risk)
    solve = staticmethod(lambda risk: _Figures(simulate(risk)))
