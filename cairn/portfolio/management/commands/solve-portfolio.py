import json
import sys

from django.core.management.base import BaseCommand

from cairn.solver.portfolio import ProblemError, parse_problem, solve


class Command(BaseCommand):
    help = (
        "Choose the most valuable set of items within every limit. Reads a problem as JSON "
        "from FILE (or - for standard input) and prints the answer as JSON."
    )
    requires_system_checks: list = []  # a pure computation: no database needed

    def add_arguments(self, parser):
        parser.add_argument("file", help="A JSON problem file, or - for standard input.")

    def handle(self, *args, file, **options):
        try:
            if file == "-":
                text = sys.stdin.read()
            else:
                with open(file, encoding="utf-8") as handle:
                    text = handle.read()
        except (OSError, UnicodeDecodeError) as e:
            self.fail(f"cannot read {file}: {e}")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            self.fail(f"not JSON: {e.msg} at line {e.lineno}, column {e.colno}")
        try:
            problem = parse_problem(data)
        except ProblemError as e:
            self.fail(str(e))
        self.stdout.write(json.dumps(solve(problem).as_dict()))

    def fail(self, message: str):
        self.stderr.write(f"solve-portfolio: {message}")
        sys.exit(2)
