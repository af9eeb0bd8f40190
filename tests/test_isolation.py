"""Role × endpoint matrix: every URL and API operation, discovered from the configuration.

A new page or endpoint is covered without editing this file; one whose
arguments this file cannot fill makes the test fail and say what to add.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import date

from django.urls import URLPattern, URLResolver, get_resolver

from cairn.api.api import api
from cairn.core import services
from cairn.core.models import ImportJob, ImportState, Invitation, Membership, Role, TrashEntry
from cairn.notifications.models import Notification, OutgoingMail
from tests.base import CairnTestCase

# Pages anyone may open without signing in.
PUBLIC = {
    "login", "logout", "setup", "healthz", "readyz", "join", "calendar_feed", "unsubscribe",
    "password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete",
    "oidc_authentication_init", "oidc_authentication_callback", "oidc_logout",
}  # fmt: skip
# Pages under an organisation that any member may post to, because they change only the
# person's own rows (their choices): a viewer's post writes nothing of the organisation's.
PERSONAL = {"notifications:preferences"}
# Pages any member reads whose form only editors may post (the data page: templates and
# exports for everyone, imports for editors): a viewer's post is refused with 403.
EDITOR_POSTS = {"exchange:index"}
# The data pages of cairn/exchange, which replaced the terrain's import, export and template
# pages: covered by the matrix like every page (listed so that a rename is noticed).
EXCHANGE = {
    "exchange:index", "exchange:workbook", "exchange:export", "exchange:template",
    "exchange:confirm", "exchange:cancel",
}  # fmt: skip
# Django's admin is for the install's superuser and has its own checks.
SKIPPED_PREFIXES = ("admin/", "api/")


def web_patterns(resolvers=None, prefix="", namespace=""):
    """(route, url name, view) for every URL pattern outside the admin and the API."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from web_patterns(entry.url_patterns, route, ns)
        elif isinstance(entry, URLPattern):
            yield route, f"{namespace}{entry.name}", entry.callback


class MatrixBase(CairnTestCase):
    """The personas, plus one row of every kind in each organisation and an API key each."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.invitation, cls.invitation_key = services.create_invitation(
            cls.org, role=Role.VIEWER, label="Someone", actor=cls.owner
        )
        cls.other_invitation, _ = services.create_invitation(
            cls.other_org, role=Role.VIEWER, label="Globex someone", actor=cls.outsider
        )
        cls.token, _ = services.create_api_token(cls.owner, "script")
        cls.other_token, _ = services.create_api_token(cls.outsider, "globex script")
        cls.keys = {
            name: services.create_api_token(user, "matrix")[1] for name, user in cls.users.items()
        }
        empty = {"rows": [], "set_null": []}
        cls.trash, cls.other_trash = (
            TrashEntry.objects.create(
                organization=org, label="Gone", model="x.y", object_id=1, payload=empty
            )
            for org in (cls.org, cls.other_org)
        )
        cls.job, cls.other_job = (
            ImportJob.objects.create(
                organization=org,
                kind="teams",
                label="Teams",
                filename="teams.csv",
                state=ImportState.DONE,
                result={"added": 1, "updated": 0, "unchanged": 0},
            )
            for org in (cls.org, cls.other_org)
        )
        from tests.source_files import stored_jira
        from tests.webhook_fixtures import make_webhooks

        cls.upload, cls.other_upload = stored_jira(cls.org), stored_jira(cls.other_org)

        cls.webhooks = make_webhooks(cls.org)
        cls.other_webhooks = make_webhooks(cls.other_org, "Globex ")
        # A connector on each organisation's KPI (switched off: nothing is fetched), so that
        # its pages and endpoints have a row; another KPI of acme's without one, to add one to.
        from cairn.kpis.connector_models import KpiConnector, KpiConnectorRun
        from cairn.kpis.models import Kpi

        cls.connectors = {
            own: KpiConnector.objects.create(
                organization=kpi.organization, kpi=kpi, kind="csv_url", enabled=False,
                url="https://93.184.215.14/kpi.csv",
            )
            for own, kpi in ((True, cls.ascent["kpi"]), (False, cls.other_ascent["kpi"]))
        }  # fmt: skip
        for connector in cls.connectors.values():
            KpiConnectorRun.objects.create(
                connector=connector, trigger="schedule", started=connector.created, ok=True
            )
        cls.unfed_kpi = Kpi.objects.create(organization=cls.org, name="Not fed yet")
        # Each person's own notification and mail, and the outsider's.
        cls.notes = {
            name: Notification.objects.create(
                user=user, organization=user.memberships.get().organization,
                kind="kpi_due", subject=f"{name}'s reminder", url="/", key=f"k-{name}",
            )
            for name, user in cls.users.items()
        }  # fmt: skip
        cls.mails = {
            own: OutgoingMail.objects.create(
                organization=org, to="x@example.org", kind="kpi_due", key=f"m-{org.slug}",
                subject="A reminder", text="x", html="x", state="failed",
            )
            for own, org in ((True, cls.org), (False, cls.other_org))
        }  # fmt: skip

    def objects(self, own: bool) -> dict[str, int]:
        """URL keyword → id of a row of acme (own) or of globex."""
        o = self
        member = Membership.objects.get(user=self.editor if own else self.outsider)
        return {
            "goal_id": (o.goal if own else o.other_goal).pk,
            "mission_id": (o.mission if own else o.other_mission).pk,
            "interview_id": (o.interview if own else o.other_interview).pk,
            "painpoint_id": (o.pain if own else o.other_pain).pk,
            "member_id": member.pk,
            "invitation_id": (o.invitation if own else o.other_invitation).pk,
            "token_id": (o.token if own else o.other_token).pk,
            "key": "not-a-real-key",
            "kind": "applications",
            "into": "idea",
            "ext": "md",
            "fmt": "csv",
            **{f"{k}_id": v.pk for k, v in (o.terrain if own else o.other_terrain).items()},
            **{f"{k}_id": v.pk for k, v in (o.path if own else o.other_path).items()},
            **{
                f"{k}_id": v.pk
                for k, v in (o.roadmap if own else o.other_roadmap).items()
                if k in ("budget", "item", "milestone")
            },
            **{
                f"{k}_id": v.pk
                for k, v in (o.ascent if own else o.other_ascent).items()
                if k in ("kpi", "win", "measurement")
            },
            **{f"{k}_id": v.pk for k, v in (o.guideposts if own else o.other_guideposts).items()},
            **{f"{k}_id": v.pk for k, v in (o.language if own else o.other_language).items()},
            **{f"{k}_id": v.pk for k, v in (o.execution if own else o.other_execution).items()},
            **{f"{k}_id": v.pk for k, v in (o.aigov if own else o.other_aigov).items()},
            "document_id": (o.document if own else o.other_document).pk,
            "entry_id": (o.trash if own else o.other_trash).pk,
            "job_id": (o.job if own else o.other_job).pk,
            "upload_id": (o.upload if own else o.other_upload).pk,
            "webhook_id": (o.webhooks if own else o.other_webhooks)["webhook"].pk,
            "notification_id": o.notes["editor" if own else "outsider"].pk,
            "mail_id": o.mails[own].pk,
            "token": "not-a-real-token",
            "uidb64": "MQ",
        }

    def fill(self, route: str, own: bool = True, org: str = "acme") -> str:
        values = {**self.objects(own), "org_slug": org}

        def sub(match):
            name = match.group(2)
            self.assertIn(name, values, f"Add the URL keyword {name!r} to IsolationTests.objects")
            return str(values[name])

        return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sub, route)


class IsolationTests(MatrixBase):
    def test_every_page_is_covered(self):
        patterns = list(web_patterns())
        org_routes = [p for p in patterns if "<slug:org_slug>" in p[0]]
        self.assertGreater(len(org_routes), 20)
        for route, name, view in org_routes:
            with self.subTest(route=route):
                self.assertTrue(
                    hasattr(view, "minimum_role"), f"{name} must be decorated with org_view"
                )
        self.assertLessEqual(EXCHANGE, {name for _route, name, _view in org_routes})

    def test_anonymous_is_sent_to_sign_in(self):
        for route, name, _ in web_patterns():
            if name in PUBLIC:
                continue
            with self.subTest(route=route):
                response = self.client.get(self.fill(route))
                self.assertEqual(response.status_code, 302, route)
                self.assertTrue(response["Location"].startswith("/accounts/login/"), route)

    def test_outsider_gets_404_everywhere_in_another_organisation(self):
        self.login("outsider")
        before = self.audit_count()
        for route, _name, _ in web_patterns():
            if "<slug:org_slug>" not in route:
                continue
            url = self.fill(route)
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)
                self.assertEqual(self.client.post(url, {"title": "x"}).status_code, 404)
        self.assertEqual(self.audit_count(), before)

    def test_members_get_404_for_another_organisations_ids(self):
        self.login("owner")
        before = self.audit_count()
        for route, _name, _ in web_patterns():
            if "_id>" not in route:
                continue
            url = self.fill(route, own=False)
            with self.subTest(url=url):
                # 405 (wrong method) is answered before any lookup, so it leaks nothing.
                statuses = {
                    self.client.get(url).status_code,
                    self.client.post(url, {"role": "viewer"}).status_code,
                }
                self.assertIn(404, statuses)
                self.assertLessEqual(statuses, {404, 405})
        self.assertEqual(self.audit_count(), before)

    def test_viewer_reads_everything_and_changes_nothing(self):
        self.login("viewer")
        before = self.audit_count()
        for route, _name, view in web_patterns():
            if "<slug:org_slug>" not in route:
                continue
            url = self.fill(route)
            with self.subTest(url=url):
                get, post = self.client.get(url), self.client.post(url, {"title": "x"})
                if _name in PERSONAL:  # the form comes back with its errors, nothing saved
                    self.assertEqual((get.status_code, post.status_code), (200, 200))
                elif _name in EDITOR_POSTS:
                    # Viewers read the data page; posting a file is for editors.
                    self.assertEqual((get.status_code, post.status_code), (200, 403))
                elif view.minimum_role == Role.VIEWER:
                    self.assertEqual(get.status_code, 200)
                    self.assertEqual(post.status_code, 405)
                else:
                    self.assertIn(get.status_code, (403, 405))
                    self.assertEqual(post.status_code, 403)
        self.assertEqual(self.audit_count(), before)
        self.assertTrue(Invitation.objects.get(pk=self.invitation.pk).is_usable)

    def test_editor_cannot_manage_people(self):
        self.login("editor")
        for route, _name, view in web_patterns():
            if "<slug:org_slug>" in route and view.minimum_role == Role.OWNER:
                url = self.fill(route)
                with self.subTest(url=url):
                    self.assertEqual(self.client.post(url, {"role": "owner"}).status_code, 403)
        self.assertEqual(Membership.objects.get(user=self.editor).role, Role.EDITOR)

    def test_owner_opens_every_page(self):
        self.login("owner")
        for route, _name, _view in web_patterns():
            if "<slug:org_slug>" not in route:
                continue
            url = self.fill(route)
            with self.subTest(url=url):
                self.assertIn(self.client.get(url).status_code, (200, 405))


# --- The API, discovered from its OpenAPI schema.

PAYLOADS = {
    "goals": {"title": "New goal", "target_date": "2030-01-31"},
    "missions": {"statement": "A mission", "goal_ids": []},
    "interviews": {"stakeholder_name": "Sam", "stakeholder_role": "COO", "held_on": "2026-01-05"},
    "pain-points": {"title": "A pain"},
    "swot": {"kind": "threat", "statement": "A threat"},
    "capabilities": {"name": "{method} capability"},
    "teams": {"name": "{method} team", "headcount": "2.5"},
    "processes": {"name": "{method} process", "automation": "partly"},
    "applications": {"name": "{method} app", "health": 2, "fit": 4},
    "initiatives": {"title": "{method} initiative", "impact": "high", "one_off_cost": "10"},
    "criteria": {"name": "{method} criterion", "source": "urgency", "weight": "2.5"},
    "scenarios": {"name": "{method} scenario", "one_off_budget": "500", "time_limit_s": 1},
    "milestones": {"title": "{method} milestone", "due": "2027-05-01"},
    "budget-lines": {"name": "{method} line", "per_period": "1000"},
    "roadmap": {"start": 1},
    "kpis": {"name": "{method} KPI", "unit": "%", "target_value": 5, "target_date": "2030-01-01"},
    "wins": {"title": "{method} win", "achieved_on": "2026-01-05"},
    # Confirmed: an earlier call may have made Orders a KPI in % (130 is then questioned).
    "measurements": {
        "items": [{"kpi": "Orders", "date": "2026-01-05", "value": 130, "confirmed": True}]
    },
    "formulas": {"formula": "{Orders} / 2"},
    "kpi-library": {"key": "retention"},
    "committee-members": {"name": "{method} member", "side": "it"},
    "meetings": {"title": "{method} meeting", "held_on": "2027-01-05"},
    "actions": {"description": "{method} action", "owner": "Raj", "due": "2027-02-01"},
    "roadblocks": {"description": "{method} block", "since": "2026-01-05"},
    "decisions": {"title": "{method} decision", "outcome": "Agreed."},
    "racis": {"title": "{method} RACI"},
    "reviews": {"kind": "quarterly", "title": "{method} review", "due": "2027-03-31"},
    "plain-language": {"text": "We leverage synergies."},
    "glossary": {"term": "{method}", "meaning": "A term"},
    "ai-use-cases": {"title": "{method} bot", "description": "Answers", "purpose": "chatbot"},
    "ai-policies": {"area": "data", "title": "{method} policy", "text": "Only public data."},
    "status-reports": {
        "reported_on": "2026-01-05",
        **dict.fromkeys(("health", "scope_health", "schedule_health", "cost_health"), "green"),
        "percent_complete": 10,
        "progress": "{method} started",
    },
    "actuals": {"items": [{"month": "2026-10-01", "amount": "50.00"}]},
    "benefits": {"change": 2, "due": "2027-06-30"},
    "notification-defaults": {"choices": [{"kind": "digest", "channel": "inbox"}]},
    "notification-preferences": {"choices": [{"kind": "digest", "channel": "email"}]},
    # Switched off: nothing is fetched. A public address given as a number: no DNS needed.
    "kpi-connectors": {
        "kind": "csv_url",
        "url": "https://93.184.215.14/kpi.csv",
        "auth_header": "X-Api-Key",
        "token": "not-a-real-token",
        "enabled": False,
    },
    # Switched off: nothing is sent. A public address given as a number: no DNS needed.
    "webhooks": {
        "name": "{method} hook",
        "url": "https://93.184.215.14/hook",
        "events": ["decision.recorded"],
        "active": False,
    },
}


@functools.cache
def openapi_paths() -> dict:
    """The schema's paths, made once: making the schema takes a third of a second, and the
    matrix reads it for each of some 200 operations."""
    return api.get_openapi_schema()["paths"]


class ApiIsolationTests(MatrixBase):
    def operations(self):
        for path, methods in openapi_paths().items():
            for method in methods:
                yield path, method.upper()

    def access(self, path: str, method: str) -> str | None:
        """ "owner", "person" or None (members read, editors write), from the schema."""
        return openapi_paths()[path][method.lower()].get("x-cairn-access")

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        from cairn.governance.models import Review

        cls.open_reviews = {
            own: Review.objects.create(
                organization=org, kind="quarterly", title="Open", due=date(2027, 3, 31)
            ).pk
            for own, org in ((True, cls.org), (False, cls.other_org))
        }

    def open_review(self, own: bool) -> int:
        return self.open_reviews[own]

    def unlinked_target(self, collection: str, name: str) -> str:
        """A new capability (for an application) or goal of acme, as suggested links name it."""
        from cairn.assessment.models import Capability
        from tests.base import make_goal

        if collection == "applications":
            return f"capability:{Capability.objects.create(organization=self.org, name=name).pk}"
        return f"goal:{make_goal(self.org, name).pk}"

    def call(self, persona, method, path, *, own=True, org="acme"):
        collection = path.split("/")[5] if path.count("/") >= 5 else ""
        if path.endswith("/status-reports"):  # on an initiative under way: the roadmap's first
            collection = "status-reports"
        payload = {
            k: v.replace("{method}", method) if isinstance(v, str) else v
            for k, v in PAYLOADS.get(collection, {}).items()
        }
        if collection == "missions":
            payload["goal_ids"] = [self.goal.pk]
        if collection == "measurements":  # by id: another call may have renamed the KPI
            payload["items"] = [{**payload["items"][0], "kpi": self.ascent["kpi"].pk}]
        if collection == "actions":
            payload["meeting_id"] = self.guideposts["meeting"].pk
        if collection == "roadblocks" and not path.endswith("/remove"):
            payload["initiative_id"] = self.path["initiative"].pk
        if path.endswith("/remove"):
            payload = {"how": "Signed"}
        if path.endswith("/complete"):
            payload = {"summary": "Done"}
        if path.endswith("/matrix"):
            payload = {
                "people": ["A", "B"],
                "rows": [{"activity": "Do", "cells": {"A": "A", "B": "R"}}],
            }
        if collection == "milestones":
            payload["initiative_id"] = self.roadmap["second"].pk
        if collection == "actuals":
            payload["items"] = [{**payload["items"][0], "initiative_id": self.roadmap["first"].pk}]
        if collection == "kpi-connectors":  # the KPI it is on: the fixture's for a change
            payload["kpi_id"] = (
                self.unfed_kpi.pk if method == "POST" else self.connectors[own].kpi_id
            )
        if collection == "benefits":
            payload.update(initiative_id=self.roadmap["first"].pk, kpi_id=self.ascent["kpi"].pk)
        if path.endswith("/links"):  # a suggested link accepted: a row not linked to it yet
            payload = {"target": self.unlinked_target(collection, f"{method} {path}")}
        item = self.objects(own)
        id_by_collection = {
            "goals": item["goal_id"],
            "missions": item["mission_id"],
            "interviews": item["interview_id"],
            "pain-points": item["painpoint_id"],
            "swot": item["swot_id"],
            "capabilities": item["capability_id"],
            "teams": item["team_id"],
            "processes": item["process_id"],
            "applications": item["application_id"],
            "initiatives": item["initiative_id"],
            "criteria": item["criterion_id"],
            "scenarios": item["scenario_id"],
            "milestones": item["milestone_id"],
            "budget-lines": item["budget_id"],
            "roadmap": item["item_id"],
            "kpis": item["kpi_id"],
            "wins": item["win_id"],
            "committee-members": item["seat_id"],
            "meetings": item["meeting_id"],
            "actions": item["action_id"],
            "roadblocks": item["roadblock_id"],
            "decisions": item["decision_id"],
            "racis": item["raci_id"],
            "glossary": item["term_id"],
            "ai-use-cases": item["usecase_id"],
            "ai-policies": item["policy_id"],
            "documents": item["document_id"],
            "benefits": item["benefit_id"],
            "webhooks": item["webhook_id"],
            "kpi-connectors": self.connectors[own].pk,
            "status-reports": (self.roadmap if own else self.other_roadmap)["first"].pk,
            # the completed review for what changed since it; an open one to change
            "reviews": item["review_id"] if path.endswith("/changes") else self.open_review(own),
        }
        url = path.replace("{org}", org)
        mine = self.notes[persona or "editor"] if own else self.notes["outsider"]
        url = url.replace("{notification_id}", str(mine.pk))
        if "{item_id}" in url:
            self.assertIn(collection, id_by_collection, f"Add {collection!r} to the API matrix")
            url = url.replace("{item_id}", str(id_by_collection[collection]))
        self.assertNotIn("{", url, f"Fill the path parameters of {path}")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.keys[persona]}"} if persona else {}
        return self.client.generic(
            method, url, data=json.dumps(payload), content_type="application/json", **headers
        )

    def test_api_is_covered(self):
        operations = list(self.operations())
        self.assertGreaterEqual(len(operations), 87)

    def test_api_anonymous_gets_401(self):
        for path, method in self.operations():
            with self.subTest(op=f"{method} {path}"):
                self.assertEqual(self.call(None, method, path).status_code, 401)

    def test_api_outsider_gets_404(self):
        before = self.audit_count()
        for path, method in self.operations():
            if "{org}" not in path:
                continue
            with self.subTest(op=f"{method} {path}"):
                self.assertEqual(self.call("outsider", method, path).status_code, 404)
        self.assertEqual(self.audit_count(), before)

    def test_api_member_gets_404_for_another_organisations_ids(self):
        before = self.audit_count()
        for path, method in self.operations():
            if "{item_id}" not in path and "{notification_id}" not in path:
                continue
            with self.subTest(op=f"{method} {path}"):
                self.assertEqual(self.call("owner", method, path, own=False).status_code, 404)
        self.assertEqual(self.audit_count(), before)

    def test_api_viewer_reads_but_cannot_write(self):
        before = self.audit_count()
        for path, method in self.operations():
            with self.subTest(op=f"{method} {path}"):
                status = self.call("viewer", method, path).status_code
                access = self.access(path, method)
                if access == "owner":
                    self.assertEqual(status, 403)
                elif access == "person":  # their own rows: reads and writes
                    self.assertEqual(status, 200)
                else:
                    self.assertEqual(status, 200 if method == "GET" else 403)
        self.assertEqual(self.audit_count(), before)

    def test_api_editor_writes(self):
        for path, method in self.operations():
            if method == "DELETE":
                continue  # deleting is covered in test_api; here it would remove the fixtures
            with self.subTest(op=f"{method} {path}"):
                status = self.call("editor", method, path).status_code
                access = self.access(path, method)
                if access in ("owner", "person"):
                    self.assertEqual(status, 403 if access == "owner" else 200)
                    continue
                created = method == "POST" and not path.endswith(
                    ("/run", "/check", "/remove", "/complete")
                )
                self.assertEqual(status, 201 if created else 200)

    def test_api_lists_only_my_organisations(self):
        response = self.call("outsider", "GET", "/api/v1/orgs")
        self.assertEqual([o["slug"] for o in response.json()], ["globex"])
