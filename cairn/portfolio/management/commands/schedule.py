import json
import sys

from django.core.management.base import BaseCommand

from cairn.solver.portfolio import ProblemError
from cairn.solver.schedule import parse_schedule, solve_schedule


class Command(BaseCommand):
    help = (
        "Schedule projects within the capacity of each resource in every period. Reads a "
        "problem as JSON from FILE (or - for standard input) and prints the answer as JSON."
    )
    requires_system_checks: list = []  # a pure computation: no database needed

    def add_arguments(self, parser):
        parser.add_argument("file", help="A JSON problem file, or - for standard input.")

    def handle(self, *args, file, **options):
        try:
            text = sys.stdin.read() if file == "-" else open(file, encoding="utf-8").read()  # noqa: SIM115
        except (OSError, UnicodeDecodeError) as e:
            self.fail(f"cannot read {file}: {e}")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            self.fail(f"not JSON: {e.msg} at line {e.lineno}, column {e.colno}")
        try:
            problem = parse_schedule(data)
        except ProblemError as e:
            self.fail(str(e))
        self.stdout.write(json.dumps(solve_schedule(problem).as_dict()))

    def fail(self, message: str):
        self.stderr.write(f"schedule: {message}")
        sys.exit(2)
