"""The shape the solver commands share: a JSON problem in, a JSON answer out, exit 2 with one
line on standard error when the problem is malformed."""

import json
import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand

from cairn.solver.portfolio import ProblemError


class JsonProblemCommand(BaseCommand):
    name = ""  # as shown in error lines
    parse: Callable[[Any], Any]
    solve: Callable[[Any], Any]
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
            problem = self.parse(data)
        except ProblemError as e:
            self.fail(str(e))
        self.stdout.write(json.dumps(self.solve(problem).as_dict()))

    def fail(self, message: str):
        self.stderr.write(f"{self.name}: {message}")
        sys.exit(2)
