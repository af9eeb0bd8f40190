"""The project as a whole: production settings, the CLI, the demo organisation."""

import ast
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from django.apps import apps
from django.core.management import call_command
from django.test import TestCase

import cairn.core as core_package
from cairn import demo
from cairn.core.models import AuditEvent, Membership, Organization
from cairn.goals.models import BusinessGoal, Interview, ITMission, PainPoint


def run_cairn(*args, **env):
    """Run the installed ``cairn`` command in a fresh process with extra environment."""
    exe = shutil.which("cairn", path=os.path.dirname(sys.executable)) or "cairn"
    # The browser tests' async switch must not leak into a "production" process.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, timeout=120, env={**base, **env}
    )


class ProductionSettingsTests(TestCase):
    def test_check_deploy_is_clean_in_production_mode(self):
        result = run_cairn(
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="cairn.example.org",
        )
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)
        self.assertIn("no issues", result.stdout)

    def test_production_mode_refuses_the_development_secret(self):
        env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
        result = subprocess.run(
            [sys.executable, "-m", "cairn.cli", "check"],
            capture_output=True,
            text=True,
            env={**env, "DEBUG": "0"},
            timeout=120,
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("Set SECRET_KEY", result.stderr)

    def test_sqlite_by_database_url_gets_the_same_options(self):
        """``DATABASE_URL=sqlite:///…`` (the dj-database-url way) is not a lesser SQLite: WAL,
        IMMEDIATE transactions and the busy timeout apply, read back from the connection."""
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            code = (
                "from django.db import connection as c; c.ensure_connection(); "
                "o = c.settings_dict['OPTIONS']; cur = c.cursor(); "
                "print(o['transaction_mode'], o['timeout'], "
                "cur.execute('PRAGMA journal_mode').fetchone()[0], "
                "cur.execute('PRAGMA busy_timeout').fetchone()[0])"
            )
            result = run_cairn(
                "shell", "-c", code, DATABASE_URL=f"sqlite:///{folder}/by-url.sqlite3"
            )
        self.assertEqual(result.returncode, 0, result.stderr)
        # shell may first say what it imported; the answer is the last line
        self.assertEqual(
            result.stdout.splitlines()[-1].split(), ["IMMEDIATE", "20", "wal", "20000"]
        )

    def test_cairn_command_lists_cairns_commands(self):
        result = run_cairn("help")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("demo", result.stdout)


class LayersTests(TestCase):
    """core is at the bottom: it imports no other Cairn app, nor the project package's
    orchestrators above the apps, and looks up no other app's model by name."""

    ALLOWED = {"cairn.core", "cairn.settings", "cairn.wsgi"}  # itself; what serve runs

    def test_core_imports_no_other_cairn_app(self):
        core = Path(core_package.__file__).parent
        others = {c.label for c in apps.get_app_configs() if c.name.startswith("cairn.")}
        others.discard("core")
        found, paths = [], sorted(core.rglob("*.py"))
        self.assertGreater(len(paths), 30)
        for path in paths:
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                elif (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "attr", getattr(node.func, "id", "")) == "get_model"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and str(node.args[0].value).split(".")[0] in others
                ):
                    found.append(f"{path.relative_to(core)}:{node.lineno} get_model")
                for name in names:
                    parts = name.split(".")
                    if (
                        parts[0] == "cairn"
                        and len(parts) > 1
                        and ".".join(parts[:2]) not in (self.ALLOWED)
                    ):
                        found.append(f"{path.relative_to(core)}:{node.lineno} {name}")
        self.assertEqual(found, [])


class DemoTests(TestCase):
    @staticmethod
    def later_models():
        from cairn.aigov.models import AiPolicy, AiUseCase
        from cairn.execution.models import Actual, Benefit, StatusReport
        from cairn.governance.models import AgendaItem, Decision, Meeting, Raci, Review
        from cairn.kpis.models import Kpi, Measurement, Win
        from cairn.language.models import GlossaryTerm, JargonRule

        return (Kpi, Measurement, Win, Meeting, AgendaItem, Decision, Raci, Review) + (
            AiPolicy,
            AiUseCase,
            GlossaryTerm,
            JargonRule,
            StatusReport,
            Actual,
            Benefit,
        )

    def counts(self):
        return [
            m.objects.count()
            for m in (
                Organization,
                Membership,
                BusinessGoal,
                ITMission,
                Interview,
                PainPoint,
                AuditEvent,
                *self.later_models(),
            )
        ]

    def test_demo_is_believable_and_idempotent(self):
        call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        first = self.counts()
        call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        self.assertEqual(self.counts(), first)
        org = Organization.objects.get(slug="summit")
        roles = set(
            Interview.objects.filter(organization=org).values_list("stakeholder_role", flat=True)
        )
        self.assertEqual(roles, {"CFO", "CMO", "COO", "Head of Sales"})
        titles = list(BusinessGoal.objects.filter(organization=org).values_list("title", flat=True))
        self.assertTrue(any("market share" in t for t in titles))
        self.assertTrue(any("customer service" in t for t in titles))
        self.assertTrue(any("20%" in t for t in titles))
        self.assertEqual(
            set(Membership.objects.filter(organization=org).values_list("role", flat=True)),
            {"owner", "editor", "viewer"},
        )
        # One goal is left without a mission so the flag shows in the demo.
        self.assertEqual(
            BusinessGoal.objects.filter(organization=org, missions__isnull=True).count(), 1
        )
        self.assertTrue(AuditEvent.objects.filter(organization=org, via="cli").exists())
        self.assertTrue(demo.DEMO_USERS)
        self.assert_later_steps_tell_their_story(org)

    def assert_later_steps_tell_their_story(self, org):
        from django.utils import timezone

        from cairn.governance.models import Meeting, Review
        from cairn.kpis import dashboard
        from cairn.kpis.models import Kpi
        from cairn.language.models import GlossaryTerm

        today = timezone.localdate()
        d = dashboard.figures(org, today)
        statuses = {k.status.value for k in Kpi.objects.filter(organization=org)}
        self.assertTrue({"on_track", "at_risk", "off_track", "achieved"} <= statuses)
        self.assertEqual([k["name"] for k in d.stale], ["Rental bookings per month"])
        self.assertTrue(Kpi.objects.filter(organization=org).exclude(formula="").exists())
        self.assertEqual(len(d.proposals), 1)
        self.assertEqual(d.goals_without_kpi, [])
        self.assertEqual(Meeting.objects.filter(organization=org, held_on__lt=today).count(), 2)
        self.assertEqual(Meeting.objects.filter(organization=org, held_on__gte=today).count(), 2)
        self.assertTrue(Review.objects.filter(organization=org).exclude(snapshot=None).exists())
        self.assertEqual(GlossaryTerm.objects.filter(organization=org).count(), 5)
        from cairn.aigov import services as ai
        from cairn.governance.models import AgendaItem, Visit
        from cairn.portfolio import services as path
        from cairn.portfolio.models import Scenario

        register = ai.register(org)
        self.assertTrue(all(register.by_tier[t] for t in ("prohibited", "high", "limited")))
        self.assertTrue(register.gaps)
        self.assertEqual(Visit.objects.filter(organization=org).count(), 3)
        self.assertTrue(AgendaItem.objects.filter(kind="policy", meeting__organization=org))
        for scenario in Scenario.objects.filter(organization=org):
            self.assertFalse(path.result_is_stale(scenario), scenario.name)
        self.assert_execution_tells_its_story(org)

    def assert_execution_tells_its_story(self, org):
        from cairn.execution import services as execution

        rows = {r.initiative.title: r for r in execution.rows(org)}
        self.assertEqual(rows["Keep current systems patched"].health, "amber")
        self.assertEqual(rows["Backups tested every quarter"].health, "red")
        self.assertEqual(rows["Help-desk knowledge base for agents"].report_state, "missing")
        overspent = [t for t, r in rows.items() if r.spend.overspent(execution.tolerance(org))]
        self.assertEqual(overspent, ["Keep current systems patched"])
        states = sorted(b.realised.state.value for b in execution.benefits(org))
        self.assertEqual(states, ["behind", "missed", "on_the_way", "realised"])
