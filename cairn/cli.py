"""The ``cairn`` command: Django's management commands under Cairn's name.

``cairn migrate``, ``cairn runserver``, ``cairn demo``: every management command
of every Cairn app works after ``pip install``, with no ``manage.py`` needed.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command with Cairn's settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cairn.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "cairn"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
