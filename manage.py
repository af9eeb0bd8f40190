#!/usr/bin/env python
"""Django's manage.py, kept for habit: ``cairn`` does the same."""

from cairn.cli import main

if __name__ == "__main__":
    main()
