"""A whole organisation to JSON and back: the round trip loses nothing (export, import,
export again: the files are identical apart from ids, names and dates)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from tempfile import TemporaryDirectory

from django.core.management import CommandError, call_command

from cairn.core.models import Membership, Organization
from cairn.governance.models import AgendaItem, Review
from cairn.portfolio.models import Initiative
from cairn.transfer import orgfile
from tests.base import CairnTestCase


def canonical(data: dict) -> dict:
    """The file with every id replaced by the row's place in its table (1, 2, …), and the
    organisation's name, address and export time left out."""
    places = {
        label: {row["id"]: n for n, row in enumerate(rows, start=1)}
        for label, rows in data["tables"].items()
    }
    out = {}
    for label, rows in data["tables"].items():
        model = orgfile._model(label)
        links = orgfile._links(model)
        table = []
        for row in rows:
            fields = {}
            for name, value in row["fields"].items():
                if name in links and value is not None:
                    value = places[links[name]][value]
                elif (label, name) in orgfile.JSON_FIELDS:
                    value = orgfile._remap_json(label, name, value, places, data["slug"], "x")
                    if isinstance(value, dict):
                        value.pop("digest", None)  # a fingerprint made from ids
                fields[name] = value
            m2m = {
                name: [
                    places[model._meta.get_field(name).related_model._meta.label][i] for i in ids
                ]
                for name, ids in row["m2m"].items()
            }
            table.append({"fields": fields, "m2m": m2m})
        out[label] = table
    return {
        "organization": {k: v for k, v in data["organization"].items() if k != "name"},
        "tables": out,
    }


class TransferTests(CairnTestCase):
    def test_the_round_trip_loses_nothing(self):
        from cairn.governance.services import add_drafted_agenda
        from cairn.portfolio.services import run_scenario

        add_drafted_agenda(self.guideposts["meeting"], actor=self.owner)
        run_scenario(self.path["scenario"], actor=self.owner)
        first = orgfile.export(self.org)
        self.assertGreater(sum(len(rows) for rows in first["tables"].values()), 40)
        copy = orgfile.import_organization(first, name="Acme copy", actor=self.editor)
        self.assertEqual(copy.slug, "acme-copy")
        second = orgfile.export(copy)
        self.assertEqual(canonical(second), canonical(first))
        # Links point inside the copy, never back to the original.
        for initiative in Initiative.objects.filter(organization=copy):
            self.assertTrue(all(g.organization_id == copy.pk for g in initiative.goals.all()))
        self.assertEqual(
            Membership.objects.get(organization=copy).user, self.editor
        )  # people are not copied: the importer owns it
        point = AgendaItem.objects.filter(meeting__organization=copy).exclude(url="").first()
        self.assertTrue(point.url.startswith("/o/acme-copy/"))
        review = Review.objects.filter(organization=copy).exclude(snapshot=None).first()
        copied_ids = set(Initiative.objects.filter(organization=copy).values_list("pk", flat=True))
        self.assertTrue({i["id"] for i in review.snapshot["initiatives"]} <= copied_ids)

    def test_a_bad_file_writes_nothing(self):
        before = Organization.objects.count()
        cases = [
            ({"format": "other"}, "not a Cairn organisation file"),
            ({"format": "cairn-organization", "version": 9}, "version 9"),
            (
                {"format": "cairn-organization", "version": 1, "tables": {"x.Y": []}},
                "does not know",
            ),
        ]
        for data, message in cases:
            with self.subTest(message=message), self.assertRaises(orgfile.TransferError) as e:
                orgfile.import_organization(data, name="Bad", actor=self.owner)
            self.assertIn(message, str(e.exception))
        broken = orgfile.export(self.org)
        broken["tables"]["portfolio.Milestone" if False else "roadmap.Milestone"][0]["fields"][
            "initiative"
        ] = 999999
        with self.assertRaises(orgfile.TransferError) as e:
            orgfile.import_organization(broken, name="Broken", actor=self.owner)
        self.assertIn("points to a missing row", str(e.exception))
        self.assertEqual(Organization.objects.count(), before)

    def test_command_line(self):
        with TemporaryDirectory() as folder:
            path = Path(folder, "acme.json")
            call_command("export-org", "--org", "acme", str(path), stdout=io.StringIO())
            self.assertEqual(json.loads(path.read_text())["format"], "cairn-organization")
            out = io.StringIO()
            call_command(
                "import-org", str(path), "--name", "Acme again", "--owner", "viewer", stdout=out
            )
            self.assertIn("/o/acme-again/", out.getvalue())
            with self.assertRaises(CommandError):
                call_command("import-org", str(path), "--name", "X", "--owner", "nobody")


class DemoTransferTests(CairnTestCase):
    def test_the_demo_organisation_round_trips(self):
        call_command("demo", stdout=io.StringIO())
        summit = Organization.objects.get(slug="summit")
        first = orgfile.export(summit)
        copy = orgfile.import_organization(first, name="Summit copy", actor=self.owner)
        self.assertEqual(canonical(orgfile.export(copy)), canonical(first))
        from cairn.portfolio.models import Scenario
        from cairn.portfolio.services import result_is_stale

        for scenario in Scenario.objects.filter(organization=copy).exclude(result=None):
            self.assertFalse(result_is_stale(scenario), scenario.name)


class TransferPageTests(CairnTestCase):
    def test_download_then_import_as_a_new_organisation(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        self.login("owner")
        download = self.client.get(self.url("organization_export"))
        self.assertEqual(download["Content-Type"], "application/json")
        self.login("viewer")
        self.assertEqual(self.client.get(self.url("organization_export")).status_code, 403)
        response = self.client.post(
            "/orgs/import/",
            {"name": "Acme sandbox", "file": SimpleUploadedFile("a.json", download.content)},
        )
        self.assertRedirects(response, "/o/acme-sandbox/")
        self.assertEqual(Membership.objects.get(organization__slug="acme-sandbox").role, "owner")
        bad = self.client.post(
            "/orgs/import/", {"name": "X", "file": SimpleUploadedFile("a.json", b"not json")}
        )
        self.assertContains(bad, "The file is not JSON", status_code=422)


class TemplateTests(CairnTestCase):
    def test_structure_without_private_data(self):
        from cairn.aigov.models import AiPolicy
        from cairn.assessment.models import Capability
        from cairn.goals.models import BusinessGoal
        from cairn.kpis.models import Kpi, Measurement

        self.login("editor")
        response = self.client.post(
            "/orgs/new/",
            {
                "name": "Acme two",
                "fiscal_year_start": 4,
                "planning_horizon_years": 3,
                "change_target_percent": 30,
                "start_from": "org:acme",
            },
        )
        self.assertRedirects(response, "/o/acme-two/")
        two = Organization.objects.get(slug="acme-two")
        self.assertEqual(two.fiscal_year_start, 4)
        self.assertEqual(
            set(Capability.objects.filter(organization=two).values_list("name", flat=True)),
            set(Capability.objects.filter(organization=self.org).values_list("name", flat=True)),
        )
        kpi = Kpi.objects.get(organization=two, name="Cost per order")
        self.assertEqual(kpi.inputs.count(), 2)  # its formula's inputs came too
        self.assertIsNone(Kpi.objects.get(organization=two, name="Orders").baseline_value)
        self.assertFalse(Measurement.objects.filter(kpi__organization=two).exists())
        self.assertFalse(BusinessGoal.objects.filter(organization=two).exists())
        self.assertFalse(Initiative.objects.filter(organization=two).exists())
        policy = AiPolicy.objects.get(organization=two)
        self.assertIsNone(policy.approved_by)

    def test_built_in_templates_and_refusals(self):
        from cairn.kpis.models import Kpi
        from cairn.transfer.starters import BUILT_IN

        self.login("owner")
        for key in BUILT_IN:
            with self.subTest(key=key):
                response = self.client.post(
                    "/orgs/new/",
                    {
                        "name": f"New {key}",
                        "fiscal_year_start": 1,
                        "planning_horizon_years": 3,
                        "change_target_percent": 30,
                        "start_from": f"builtin:{key}",
                    },
                )
                org = Organization.objects.get(name=f"New {key}")
                self.assertRedirects(response, f"/o/{org.slug}/")
                self.assertGreaterEqual(Kpi.objects.filter(organization=org).count(), 5)
        refused = self.client.post(
            "/orgs/new/",
            {
                "name": "Sneaky",
                "fiscal_year_start": 1,
                "planning_horizon_years": 3,
                "change_target_percent": 30,
                "start_from": "org:globex",
            },
        )
        self.assertContains(refused, "Choose a starting point from the list.")
        self.assertFalse(Organization.objects.filter(name="Sneaky").exists())


class CoverageTests(CairnTestCase):
    def test_every_kind_of_row_is_in_the_file(self):
        """A new model of an organisation's data that the export forgot would be lost by a
        round trip (and by a backup restored from it)."""
        from django.apps import apps

        from cairn.core.models import OrgModel

        kept = set(orgfile.ORDER) | set(orgfile.LEFT_OUT)  # left out, each with a reason
        missing = sorted(
            m._meta.label
            for m in apps.get_models()
            if issubclass(m, OrgModel) and m._meta.label not in kept
        )
        self.assertEqual(missing, [])
        exported = orgfile.export(self.org)["tables"]
        for label in ("execution.StatusReport", "execution.Actual", "execution.Benefit"):
            self.assertEqual(len(exported[label]), 1, label)


def test_a_time_within_a_millisecond_of_a_second_writes_the_same_file_twice():
    """Django's encoder writes 0.5 ms past a second as ".000", which reads back as the whole
    second and is then written without a fraction: the file cuts to the millisecond first."""
    import datetime as dt

    from django.utils.dateparse import parse_datetime

    moment = dt.datetime(2026, 12, 4, 9, 2, 20, 500, tzinfo=dt.UTC)
    written = json.loads(json.dumps({"at": moment}, cls=orgfile.FileEncoder))["at"]
    again = json.loads(json.dumps({"at": parse_datetime(written)}, cls=orgfile.FileEncoder))["at"]
    assert written == again == "2026-12-04T09:02:20Z"
    later = moment.replace(microsecond=123456)
    assert json.loads(json.dumps([later], cls=orgfile.FileEncoder)) == ["2026-12-04T09:02:20.123Z"]
