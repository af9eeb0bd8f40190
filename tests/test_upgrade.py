"""Upgrades: the database of each earlier release, with its demo in it, migrates to this code.

``tests/releases/<version>/`` holds what ``scripts/snapshot-release.sh`` recorded with that
release's own code: its migration state (``migrations.json``) and every row of its demo
(``demo.json.gz``, as ``dumpdata`` wrote it). The test migrates its own database back to that
state, loads the rows through the models as they were then (the migrations' historical models,
not today's, which may have fields the release did not have), migrates forward to this code's
migrations with ``cairn migrate``, and checks that every row is still there, that the demo
organisation's pages open for its owner, and that both organisations export. The two files are
all it reads: no git history at run time.
"""

from __future__ import annotations

import gzip
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.apps import apps as current_apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings
from django.urls import reverse
from django.utils.html import escape

from cairn import demo
from cairn import settings as project_settings

pytestmark = pytest.mark.django_db(transaction=True)

RELEASES = Path(__file__).parent / "releases"
VERSIONS = sorted(p.name for p in RELEASES.iterdir() if (p / "migrations.json").is_file())
DEMO_ORG, DEMO_OWNER = "summit", "demo-owner"

# Rows a later migration removes or merges on purpose: (version, model label as dumpdata writes
# it, "kpis.win") → (rows expected after the upgrade, why). Any other change fails the test.
EXPLAINED: dict[tuple[str, str], tuple[int, str]] = {}

# The demo organisation's main pages: (URL name, the fixture row whose id the URL takes,
# the fixture rows whose text the page must show). A row is (model label, field); an id row
# is the first row of that model in the demo organisation.
PAGES = [
    ("org_home", None, ("kpis.kpi", "name")),
    ("goals:destination", None, ("goals.businessgoal", "title")),
    ("assessment:swot", None, ("assessment.swotitem", "statement")),
    ("portfolio:overview", None, None),
    ("portfolio:initiative_list", None, ("portfolio.initiative", "title")),
    ("portfolio:initiative_detail", "portfolio.initiative", None),
    ("portfolio:scenario_list", None, ("portfolio.scenario", "name")),
    ("roadmap:gantt", None, ("roadmap.milestone", "title")),
    ("roadmap:milestones", None, ("roadmap.milestone", "title")),
    ("kpis:kpi_list", None, ("kpis.kpi", "name")),
    ("kpis:kpi_detail", "kpis.kpi", None),
    ("governance:overview", None, None),
    ("governance:decision_list", None, ("governance.decision", "title")),
    ("governance:roadblock_list", None, None),
    ("governance:meeting_detail", "governance.meeting", None),
    ("governance:raci_list", None, ("governance.raci", "title")),
    ("execution:overview", None, None),
    ("aigov:register", None, ("aigov.aiusecase", "title")),
]


class Release:
    """One release's recorded migration state and demo rows."""

    def __init__(self, version: str):
        self.version = version
        folder = RELEASES / version
        self.state = json.loads((folder / "migrations.json").read_text())
        with gzip.open(folder / "demo.json.gz", "rt", encoding="utf-8") as rows:
            self.rows: list[dict] = json.load(rows)
        self.leaves = [(app, name) for app, name in sorted(self.state["leaves"].items())]

    def of(self, label: str) -> list[dict]:
        return [row for row in self.rows if row["model"] == label]

    def org_pk(self, slug: str) -> int:
        return next(
            row["pk"] for row in self.of("core.organization") if row["fields"]["slug"] == slug
        )

    def in_org(self, label: str, slug: str) -> list[dict]:
        pk = self.org_pk(slug)
        return [row for row in self.of(label) if row["fields"].get("organization") == pk]


def _migrate(targets) -> float:
    """Migrate the test database to ``targets`` (the executor alone, no signals); returns
    seconds."""
    started = time.monotonic()
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    return time.monotonic() - started


def _current_leaves() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _release_targets(release: Release) -> list[tuple[str, str | None]]:
    """Every app at the release's last migration; apps the release did not have, unapplied."""
    graph = MigrationExecutor(connection).loader.graph
    gone = [key for key in release.leaves if key not in graph.nodes]
    if gone:
        pytest.fail(
            f"Release {release.version}'s migrations {gone} are no longer in the code (squashed "
            "and removed?): a database of that release cannot be upgraded directly any more. "
            "Say so in docs/admin/upgrades.md and remove its fixture from tests/releases/."
        )
    known = {app for app, _ in release.leaves}
    unknown = sorted({app for app, _ in graph.leaf_nodes()} - known)
    return [*release.leaves, *[(app, None) for app in unknown]]


# The fields of the natural keys dumpdata may write for a link (``--natural-foreign``).
NATURAL_KEYS = {
    "auth.user": ("username",),
    "auth.group": ("name",),
    "auth.permission": ("codename", "content_type__app_label", "content_type__model"),
    "contenttypes.contenttype": ("app_label", "model"),
}


def _link_value(field, value):
    """A link's stored value: a natural key (a list, as dumpdata writes links to users) is
    looked up in the historical table; an id is used as it is."""
    if value is None:
        return None
    if not isinstance(value, list):
        return field.target_field.to_python(value)
    target = field.related_model
    lookup = dict(zip(NATURAL_KEYS[target._meta.label_lower], value, strict=True))
    if target._meta.label_lower == "contenttypes.contenttype":
        # Content types are made again by Django, not loaded: the same names, other ids.
        obj, _ = target._default_manager.get_or_create(**lookup)
    else:
        obj = target._default_manager.get(**lookup)
    return getattr(obj, field.target_field.attname)


def load_rows(apps, rows: list[dict]) -> Counter:
    """Insert dumpdata rows through the historical models of ``apps``, as loaddata would.

    Raw saves, as loaddata's: no ``auto_now`` overwriting the dates, no model ``save()``.
    Rows come in dumpdata's order, which puts users before the rows that name them by natural
    key; the constraints are checked at the end of the one transaction, so ids may point
    forward. Many-to-many links are set once every row is in; returns how many there are per
    (model label, field name).
    """
    links = []
    touched = []
    counted: Counter = Counter()
    with transaction.atomic():
        for row in rows:
            model = apps.get_model(row["model"])
            obj = model(pk=row["pk"])
            for name, value in row["fields"].items():
                field = model._meta.get_field(name)
                if field.many_to_many:
                    links.append((obj, field, value))
                    counted[(row["model"], name)] += len(value)
                elif field.is_relation:
                    setattr(obj, field.attname, _link_value(field, value))
                else:
                    setattr(obj, field.attname, field.to_python(value))
            obj.save_base(raw=True, force_insert=True)
            if model not in touched:
                touched.append(model)
        for obj, field, values in links:
            through = field.remote_field.through
            source = through._meta.get_field(field.m2m_field_name()).attname
            target = through._meta.get_field(field.m2m_reverse_field_name()).attname
            through._default_manager.bulk_create(
                through(**{source: obj.pk, target: _link_value(field, value)}) for value in values
            )
    # Ids were given, not drawn: move each table's id sequence past them (PostgreSQL; SQLite
    # does it by itself), or the next row saved would take an id already used.
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), touched):
            cursor.execute(statement)
    return counted


def _check_rows(release: Release, apps, *, upgraded: bool) -> None:
    """Every model's rows of the fixture, by id, in the database (historical ``apps`` before
    the upgrade, today's after)."""
    ids = defaultdict(set)
    for row in release.rows:
        ids[row["model"]].add(row["pk"])
    problems = []
    for label, expected in sorted(ids.items()):
        explained = EXPLAINED.get((release.version, label)) if upgraded else None
        try:
            model = apps.get_model(label)
        except LookupError:
            if explained and explained[0] == 0:
                continue
            problems.append(f"{label}: the table is gone ({len(expected)} rows in the fixture)")
            continue
        found = set(model._base_manager.values_list("pk", flat=True))
        if explained:
            if len(found) != explained[0]:
                problems.append(f"{label}: {len(found)} rows, {explained[0]} expected")
        elif found != expected:
            problems.append(
                f"{label}: {len(expected - found)} rows missing, {len(found - expected)} new"
            )
    assert not problems, f"After {'the upgrade' if upgraded else 'loading'}: " + "; ".join(problems)


def _check_links(release: Release, links: Counter, apps) -> None:
    """Every many-to-many link of the fixture, counted per field (the links of a model whose
    rows changed on purpose, in EXPLAINED, changed with them)."""
    problems = []
    for (label, name), expected in sorted(links.items()):
        if (release.version, label) in EXPLAINED:
            continue
        try:
            field = apps.get_model(label)._meta.get_field(name)
        except (LookupError, FieldDoesNotExist):
            problems.append(f"{label}.{name}: gone ({expected} links in the fixture)")
            continue
        found = field.remote_field.through._default_manager.count()
        if found != expected:
            problems.append(f"{label}.{name}: {found} links, {expected} in the fixture")
    assert not problems, "; ".join(problems)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_release_database_upgrades_with_every_row_and_its_pages(version, client):
    release = Release(version)
    timings = {}
    # From nothing: the rows of migrations run when the test database was made would clash
    # with the release's own (its database ran the same data migrations).
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    ContentType.objects.clear_cache()
    try:
        targets = _release_targets(release)
        timings["migrate back"] = _migrate(targets)
        executor = MigrationExecutor(connection)
        applied = defaultdict(set)
        for app, name in executor.loader.applied_migrations:
            applied[app].add(name)
        assert {app: set(names) for app, names in release.state["applied"].items()} == {
            app: names for app, names in applied.items() if names
        }, "the database is not at the release's migration state"
        historical = executor.loader.project_state(release.leaves, at_end=True).apps

        started = time.monotonic()
        links = load_rows(historical, release.rows)
        timings["load"] = time.monotonic() - started
        _check_rows(release, historical, upgraded=False)

        # Forward with `cairn migrate` itself: its lock, then Django's migrate with the signals
        # after it (content types and permissions of new models made, as on a real upgrade).
        started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        ContentType.objects.clear_cache()
        timings["migrate forward"] = time.monotonic() - started
        assert MigrationExecutor(connection).migration_plan(_current_leaves()) == []
    finally:
        # Whatever happened, the tests after this one find today's schema.
        _migrate(_current_leaves())

    started = time.monotonic()
    _check_rows(release, current_apps, upgraded=True)
    _check_links(release, links, current_apps)
    User = current_apps.get_model("auth", "User")
    Organization = current_apps.get_model("core", "Organization")
    assert {r["fields"]["username"] for r in release.of("auth.user")} <= set(
        User.objects.values_list("username", flat=True)
    )
    slugs = [r["fields"]["slug"] for r in release.of("core.organization")]
    assert set(slugs) <= set(Organization.objects.values_list("slug", flat=True))

    # Signed in with the demo's password, checked against the hash the release stored (Argon2,
    # which the other tests swap for a fast hasher).
    with override_settings(PASSWORD_HASHERS=project_settings.PASSWORD_HASHERS):
        response = client.post(
            reverse("login"), {"username": DEMO_OWNER, "password": demo.DEMO_PASSWORD}
        )
    assert response.status_code == 302, "the release's demo owner cannot sign in"
    org_name = next(
        r["fields"]["name"]
        for r in release.of("core.organization")
        if r["fields"]["slug"] == DEMO_ORG
    )
    for name, id_of, shown in PAGES:
        kwargs = {"org_slug": DEMO_ORG}
        if id_of:
            row = release.in_org(id_of, DEMO_ORG)[0]
            kwargs[current_apps.get_model(id_of)._meta.model_name + "_id"] = row["pk"]
        url = reverse(name, kwargs=kwargs)
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        page = response.content.decode()
        assert escape(org_name) in page, url
        if id_of:
            text = row["fields"].get("title") or row["fields"].get("name")
            assert escape(text) in page, f"{url} does not show {text!r}"
        if shown:
            label, field = shown
            missing = [
                r["fields"][field]
                for r in release.in_org(label, DEMO_ORG)
                if escape(r["fields"][field]) not in page
            ]
            assert not missing, f"{url} does not show {missing}"

    # Each organisation's export holds every row of its strategy the fixture has.
    exported = defaultdict(set)
    for slug in slugs:
        response = client.get(reverse("organization_export", kwargs={"org_slug": slug}))
        assert response.status_code == 200, slug
        data = json.loads(response.content)
        assert data["slug"] == slug
        for label, rows in data["tables"].items():
            exported[label.lower()] |= {row["id"] for row in rows}
    for label, ids in exported.items():
        if (version, label) in EXPLAINED:  # what the upgrade kept of it, checked above
            expected = set(current_apps.get_model(label)._base_manager.values_list("pk", flat=True))
        else:
            expected = {row["pk"] for row in release.of(label)}
        assert ids == expected, f"export of {label}"
    timings["check"] = time.monotonic() - started
    print(
        f"upgrade from {version} on {connection.vendor}: "
        + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in timings.items())
    )
