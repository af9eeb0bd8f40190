"""MkDocs hooks: the reference pages are made at build time from Cairn itself, so they cannot
drift from the code.

- ``api-reference.md``: every operation of the REST API, one table per tag, from the OpenAPI
  schema the app serves (``cairn.api.api.api.get_openapi_schema()``); ``openapi.json`` is that
  schema, offered for download.
- ``cli-reference.md``: the ``--help`` of every one of Cairn's own ``cairn`` commands, in
  full, then Django's main commands with their one-line summary.

Django is set up once, on a throwaway data directory, with the development defaults: the
builder's own environment (a DEBUG=0 shell, a CAIRN_BIND) changes nothing in the pages.

The pages are written as GitHub reads them, with lists nested by two spaces and lists right
under a paragraph; ``on_page_markdown`` makes them plain to Python-Markdown (see
``for_python_markdown``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

API_PAGE, SCHEMA_FILE, CLI_PAGE = "api-reference.md", "openapi.json", "cli-reference.md"
# Help is wrapped at this width whatever the terminal of the build.
HELP_COLUMNS = "88"
# Django's commands an operator meets, in this order; the rest are named in one line.
DJANGO_MAIN = [
    "check",
    "collectstatic",
    "createsuperuser",
    "changepassword",
    "showmigrations",
    "makemigrations",
    "dbshell",
    "shell",
    "runserver",
    "clearsessions",
    "dumpdata",
    "loaddata",
]
# Environment variables that would change the defaults printed in the help.
_SETTINGS_FROM_ENV = [
    "DEBUG",
    "DATABASE_URL",
    "SQLITE_PATH",
    "REDIS_URL",
    "EMAIL_URL",
    "EMAIL_BACKEND",
    "OIDC_ISSUER",
    "OIDC_ROLE_MAP",
    "LOG_FORMAT",
    "CAIRN_BIND",
    "WEB_CONCURRENCY",
    "CAIRN_THREADS",
    "CAIRN_REQUEST_TIMEOUT",
    "CAIRN_GRACEFUL_TIMEOUT",
    "CAIRN_PID_FILE",
]
_data_dir: str | None = None


def _django() -> None:
    """Set Django up once per build process, on a data directory of its own."""
    global _data_dir
    if _data_dir is not None:
        return
    _data_dir = tempfile.mkdtemp(prefix="cairn-docs-")
    for name in _SETTINGS_FROM_ENV:
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "cairn.settings"
    os.environ["CAIRN_DATA_DIR"] = _data_dir
    os.environ["COLUMNS"] = HELP_COLUMNS
    import django

    django.setup()


def on_shutdown() -> None:
    if _data_dir is not None:
        shutil.rmtree(_data_dir, ignore_errors=True)


def on_files(files, config):
    _django()
    from cairn.api.api import api

    schema = api.get_openapi_schema()
    files.append(File.generated(config, API_PAGE, content=api_page(schema)))
    files.append(File.generated(config, SCHEMA_FILE, content=json.dumps(schema, indent=2)))
    files.append(File.generated(config, CLI_PAGE, content=cli_page()))
    return files


# A tag that makes the browser fetch something as the page loads (a link one clicks is fine).
LOADS_FROM_OUTSIDE = re.compile(
    r"<(?:script|img|iframe|source|audio|video)\b[^>]*\bsrc=[\"']?(?:https?:)?//"
    r"|<link\b(?=[^>]*\brel=[\"']?(?:stylesheet|preload|preconnect|icon|modulepreload))"
    r"[^>]*\bhref=[\"']?(?:https?:)?//"
    r"|@import\s+(?:url\()?[\"']?(?:https?:)?//",
    re.I,
)


def on_post_page(output: str, page, config) -> str:
    """The site loads nothing from another server (no CDN, no web fonts): a page that would
    fails the build."""
    found = LOADS_FROM_OUTSIDE.search(output)
    if found:
        raise PluginError(f"{page.file.src_uri} loads from another server: {found.group(0)}")
    return output


def on_page_markdown(markdown: str, page, config, files) -> str:
    return for_python_markdown(markdown)


LIST_ITEM = re.compile(r" *(?:[-*+]|\d+\.) ")


def for_python_markdown(markdown: str) -> str:
    """Lists as GitHub reads them, made plain to Python-Markdown: each line's leading spaces
    doubled (nesting by four), and a blank line before a list item that follows a paragraph
    (which Python-Markdown would otherwise read as part of the paragraph). Fenced code keeps
    its own lines, shifted as much as its fence."""
    lines, fence, shift, block_is_list = [], "", 0, False
    for line in markdown.split("\n"):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if fence:
            lines.append(" " * shift + line)
            if stripped.startswith(fence) and not stripped.strip(fence[0]).strip():
                fence = ""
            continue
        if stripped.startswith(("```", "~~~")):
            fence, shift = stripped[:3], indent
        item = LIST_ITEM.match(line) is not None
        if not stripped:
            block_is_list = False
        elif not lines or not lines[-1].strip():
            block_is_list = item
        elif item and not block_is_list:
            lines.append("")
            block_is_list = True
        lines.append(" " * indent + line)
    return "\n".join(lines)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def api_page(schema: dict) -> str:
    """A table per tag, in the order the tags first appear: method, path, summary, answers."""
    by_tag: dict[str, list[tuple[str, str, dict]]] = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for tag in operation.get("tags") or ["Other"]:
                by_tag.setdefault(tag, []).append((method.upper(), path, operation))
    count = sum(len(ops) for ops in schema["paths"].values())
    lines = [
        "# OpenAPI reference",
        "",
        f"{schema['info']['title']}, version {schema['info']['version']}, OpenAPI "
        f"{schema['openapi']}: {count} operations. This page is made from the schema each time "
        "the documentation is built, so it lists what the code answers. The schema itself: "
        f"[openapi.json]({SCHEMA_FILE}) (the same as `/api/v1/openapi.json` on a running Cairn, "
        "where `/api/v1/docs` lets you try each operation). How to authenticate, the errors "
        "and examples are in [the API guide](api.md).",
        "",
        _cell(schema["info"].get("description", "")),
        "",
    ]
    for tag, operations in by_tag.items():
        lines += [f"## {tag}", "", "| method | path | what it does | answers |", "|" + "---|" * 4]
        for method, path, operation in operations:
            answers = ", ".join(sorted(str(status) for status in operation.get("responses", {})))
            summary = _cell(operation.get("summary") or operation.get("operationId", ""))
            lines.append(f"| `{method}` | `{path}` | {summary} | {answers} |")
        lines.append("")
    return "\n".join(lines)


# The options every Django command has; the page names them once.
COMMON_OPTIONS = {
    "version",
    "verbosity",
    "settings",
    "pythonpath",
    "traceback",
    "no_color",
    "force_color",
    "skip_checks",
}


def command_help(command, name: str) -> str:
    """The command's ``--help`` as ``cairn NAME --help`` prints it, less the common options."""
    parser = command.create_parser("cairn", name)
    # argparse has no public way to drop an option: its groups share the parser's list.
    parser._actions[:] = [a for a in parser._actions if a.dest not in COMMON_OPTIONS]
    for group in parser._action_groups:
        group._group_actions[:] = [a for a in group._group_actions if a.dest not in COMMON_OPTIONS]
    return parser.format_help()


def cli_page() -> str:
    """Cairn's own commands with their whole ``--help``; Django's main ones by their summary."""
    from django.core.management import get_commands, load_command_class

    commands = get_commands()  # name -> app it comes from
    own = sorted(name for name, app in commands.items() if app.startswith("cairn"))
    lines = [
        "# CLI reference",
        "",
        "`cairn` is Django's `manage.py` under Cairn's name: it loads Cairn's settings. In the "
        "container, run a command as `docker compose exec app1 cairn …`. This page is made "
        "from each command's own "
        "`--help` each time the documentation is built, so it cannot drift from the code. "
        "What the commands are for, with examples, is in [the `cairn` command](cli.md).",
        "",
        "## Cairn's commands",
        "",
        "| command | what it does |",
        "|---|---|",
    ]
    helps = {}
    for name in own:
        command = load_command_class(commands[name], name)
        helps[name] = command_help(command, name)
        lines.append(f"| [`cairn {name}`](#cairn-{name}) | {_cell(command.help)} |")
    lines.append("")
    lines += [
        "Each command also takes Django's common options, left out below: `--settings`, "
        "`--pythonpath`, `-v`/`--verbosity`, `--traceback`, `--no-color`, `--force-color`, "
        "`--skip-checks` and `--version`.",
        "",
    ]
    for name in own:
        lines += [f"### cairn {name}", "", "```text", helps[name].rstrip(), "```", ""]
    lines += [
        "## Django's commands",
        "",
        "They work as in any Django project; `cairn help COMMAND` prints the options of each.",
        "",
        "| command | what it does |",
        "|---|---|",
    ]
    for name in DJANGO_MAIN:
        if name in commands and name not in own:
            command = load_command_class(commands[name], name)
            lines.append(f"| `cairn {name}` | {_cell(command.help)} |")
    rest = sorted(set(commands) - set(own) - set(DJANGO_MAIN))
    lines += ["", "Also there: " + ", ".join(f"`{name}`" for name in rest) + ".", ""]
    if "db_worker" in rest:
        lines += [
            "`db_worker` is the task library's own worker: use `cairn worker`, which also "
            "waits out database errors and takes over the jobs of a worker that died.",
            "",
        ]
    return "\n".join(lines)
