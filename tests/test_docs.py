"""The documentation site stays whole: every setting documented, every page in the menu,
the README's links alive, and the generated reference pages covering what the code has.
(`make docs` builds the site itself with --strict, which fails on a broken link.)"""

import ast
import importlib.util
import re
from pathlib import Path

import yaml
from django.core.management import get_commands

from cairn.api.api import api

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CONFIGURATION = DOCS / "admin" / "configuration.md"
# Where Cairn reads its environment: the settings, the e-mail address they parse, the server.
ENV_READERS = [
    ROOT / "cairn" / "settings.py",
    ROOT / "cairn" / "core" / "email_url.py",
    ROOT / "cairn" / "core" / "management" / "commands" / "serve.py",
]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _hooks():
    spec = importlib.util.spec_from_file_location("cairn_docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _hooks()


def environment_variables(path: Path) -> set[str]:
    """Names read by os.environ.get / os.environ[...] / os.getenv / envbool / envint, or by a
    local alias of os.environ.get (serve.py's ``env``)."""
    readers = {"envbool", "envint", "getenv", "get", "env"}
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            environ = isinstance(func, ast.Attribute) and ast.unparse(func.value) in {
                "os.environ",
                "os",
            }
            if (environ or isinstance(func, ast.Name)) and name in readers:
                names.add(node.args[0].value)
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(node.slice.value)
    return {name for name in names if isinstance(name, str) and name.isupper()}


def nav_pages(entries) -> list[str]:
    pages = []
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            pages += nav_pages(value)
        else:
            pages.append(value)
    return pages


def test_every_environment_variable_is_in_the_configuration_reference():
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", CONFIGURATION.read_text(), re.M))
    read = set().union(*(environment_variables(path) for path in ENV_READERS))
    assert len(read) > 50, sorted(read)  # the parse found the settings, not nothing
    assert {"DATABASE_URL", "EMAIL_TIMEOUT", "LOG_FORMAT", "CAIRN_BIND"} <= read
    assert read - documented == set(), "settings read but not in docs/admin/configuration.md"


def test_every_page_is_in_the_nav_and_every_nav_entry_is_a_page():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    nav = nav_pages(config["nav"])
    on_disk = {str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md")}
    generated = {hooks.API_PAGE, hooks.CLI_PAGE}
    assert on_disk - set(nav) == set(), "pages missing from the nav in mkdocs.yml"
    assert set(nav) - on_disk - generated == set(), "nav entries with no page"
    assert len(nav) == len(set(nav)), "a page twice in the nav"


def test_the_readme_links_resolve_to_files():
    text = (ROOT / "README.md").read_text()
    targets = [t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t)]
    assert any(t.startswith("docs/img/") for t in targets), "the README shows a screenshot"
    missing = [t for t in targets if not (ROOT / t.split("#")[0]).is_file()]
    assert missing == []


def test_the_pictures_are_small_and_each_step_page_shows_one():
    pictures = sorted((DOCS / "img").glob("*.png"))
    assert pictures
    assert [p.name for p in pictures if p.stat().st_size >= 250_000] == []
    for step in ["destination", "terrain", "path", "roadmap", "guideposts", "ascent"]:
        text = (DOCS / "guide" / f"{step}.md").read_text()
        assert f"](../img/{step}.png)" in text, step


def test_the_api_reference_lists_every_operation():
    schema = api.get_openapi_schema()
    page = hooks.api_page(schema)
    for path, operations in schema["paths"].items():
        for method in operations:
            assert f"| `{method.upper()}` | `{path}` |" in page
    assert "## Destination" in page and "## Webhooks" in page


def test_the_cli_reference_has_the_help_of_every_cairn_command():
    page = hooks.cli_page()
    own = [name for name, app in get_commands().items() if app.startswith("cairn")]
    assert {"serve", "worker", "migrate", "import"} <= set(own)
    for name in own:
        assert f"### cairn {name}\n\n```text\nusage: cairn {name} " in page, name
    # Cairn's options are there; Django's common ones are said once, not per command.
    assert "--graceful-timeout GRACEFUL_TIMEOUT" in page and "--lease LEASE" in page
    assert "--pythonpath PYTHONPATH" not in page
    assert "| `cairn collectstatic` |" in page


def test_lists_as_github_reads_them_are_made_plain_to_python_markdown():
    markdown = "- a\n  - b\n\n  More about a.\n- c\n\n```python\n  x = 1\n```\nText:\n1. one\n"
    assert hooks.for_python_markdown(markdown) == (
        "- a\n    - b\n\n    More about a.\n\n- c\n\n```python\n  x = 1\n```\nText:\n\n1. one\n"
    )


def test_a_page_that_loads_from_another_server_is_found():
    outside = [
        '<script src="https://unpkg.com/mermaid.js"></script>',
        "<link rel=stylesheet href=//fonts.googleapis.com/css>",
        '<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>',
        '<img alt="" src="http://example.com/a.png">',
        "<style>@import url('https://fonts.googleapis.com/css')</style>",
    ]
    inside = [
        '<a href="https://squidfunk.github.io/mkdocs-material/">Material</a>',
        '<script src="../assets/javascripts/bundle.js"></script>',
        '<link rel="stylesheet" href="assets/stylesheets/main.css">',
        '<link rel="canonical" href="https://cairn.example.com/">',
        '<img src="img/dashboard.png">',
    ]
    assert [bool(hooks.LOADS_FROM_OUTSIDE.search(tag)) for tag in outside] == [True] * 5
    assert [bool(hooks.LOADS_FROM_OUTSIDE.search(tag)) for tag in inside] == [False] * 5
