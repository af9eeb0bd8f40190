from cairn.portfolio.management.json_command import JsonProblemCommand
from cairn.solver.schedule import parse_schedule, solve_schedule


class Command(JsonProblemCommand):
    help = (
        "Schedule projects within the capacity of each resource in every period. Reads a "
        "problem as JSON from FILE (or - for standard input) and prints the answer as JSON."
    )
    name = "schedule"
    parse = staticmethod(parse_schedule)
    solve = staticmethod(solve_schedule)
