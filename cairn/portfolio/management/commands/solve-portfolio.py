from cairn.portfolio.management.json_command import JsonProblemCommand
from cairn.solver.portfolio import parse_problem, solve


class Command(JsonProblemCommand):
    help = (
        "Choose the most valuable set of items within every limit. Reads a problem as JSON "
        "from FILE (or - for standard input) and prints the answer as JSON."
    )
    name = "solve-portfolio"
    parse = staticmethod(parse_problem)
    solve = staticmethod(solve)
