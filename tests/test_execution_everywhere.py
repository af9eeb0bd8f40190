"""Execution where people already look: the roadmap, an initiative's page, the dashboard,
the committee's agenda and briefing pack, the strategy document and the annual review."""

from datetime import date, timedelta

from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from cairn.core import services as core
from cairn.documents import content, render
from cairn.execution.models import Actual, StatusReport
from cairn.governance import rules as governance_rules
from cairn.governance import services as governance
from cairn.governance.models import AgendaItem
from cairn.portfolio.models import Initiative
from cairn.roadmap import services as roadmap
from cairn.roadmap.models import Milestone
from tests.base import PAGE, CairnTestCase

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def report(initiative, health="red", percent=30, on=None, **more):
    return StatusReport.objects.create(
        organization=initiative.organization,
        initiative=initiative,
        reported_on=on or timezone.localdate(),
        health=health,
        scope_health="green",
        schedule_health=health,
        cost_health="green",
        percent_complete=percent,
        progress=more.get("progress", "The restore test failed twice."),
        needs=more.get("needs", "Money for a second backup site."),
    )


class EverywhereCase(CairnTestCase):
    def setUp(self):
        self.today = timezone.localdate()
        self.first = self.roadmap["first"]  # amber, 40% (tests/base.py make_execution)
        self.second = self.roadmap["second"]  # no report
        roadmap.run_schedule(self.org, actor=self.owner)


class RoadmapTests(EverywhereCase):
    def test_bars_fill_with_percent_complete_and_carry_their_health(self):
        self.login("viewer")
        page = self.client.get(self.url("roadmap:gantt"))
        tasks = {t["name"]: t for t in page.context["tasks"] if "health" in t}
        first = tasks["Clean the data"]
        self.assertEqual(first["progress"], 40)  # the latest report's, no longer always 0
        self.assertEqual((first["health"], first["health_label"]), ("amber", "Needs attention"))
        self.assertIn("40% complete", first["description"])
        self.assertEqual(tasks["New CRM"]["progress"], 0)
        self.assertNotIn("Globex", page.content.decode())

    def test_a_late_forecast_shows_beside_the_planned_finish(self):
        Milestone.objects.create(
            organization=self.org,
            initiative=self.first,
            title="Cut-over",
            due=self.today - timedelta(days=40),
        )
        self.login("viewer")
        page = self.client.get(self.url("roadmap:gantt"))
        self.assertContains(page, "forecast to finish late")
        (row, how), *_ = page.context["late"]
        self.assertEqual(row.pk, self.first.pk)
        self.assertGreater(how["late"], how["planned"])
        self.assertIn("days late", how["text"])
        board = self.client.get(self.url("roadmap:board"))
        self.assertContains(board, "Needs attention")
        self.assertContains(board, f"forecast {how['late'].day} {how['late']:%b %Y}")


class InitiativePageTests(EverywhereCase):
    def test_how_it_is_going_for_an_initiative_under_way(self):
        self.login("viewer")
        page = self.client.get(self.url("portfolio:initiative_detail", self.first.pk))
        self.assertContains(page, "How it is going")
        self.assertContains(page, "Needs attention")
        self.assertContains(page, "40%")
        self.assertContains(page, "20 Nov 2026")
        self.assertContains(page, self.url("execution:initiative", self.first.pk))
        proposed = self.client.get(
            self.url("portfolio:initiative_detail", self.path["initiative"].pk)
        )
        self.assertNotContains(proposed, "how-it-is-going")

    def test_query_count_is_fixed(self):
        self.login("viewer")
        url = self.url("portfolio:initiative_detail", self.first.pk)
        # the page's PAGE + 16, its roadmap slot (plan and organisation: 2), and
        # execution.figures for this initiative, not cached (plan, initiative, first reports,
        # spend, open milestones: 5)
        self.assertQueryCount(PAGE + 16 + 2 + 5, self.client.get, url)
        for n in range(5):
            more = Initiative.objects.create(
                organization=self.org, title=f"More {n}", status="in_progress"
            )
            report(more)
            Actual.objects.create(
                organization=self.org, initiative=more, month=date(2026, 10, 1), amount=10
            )
        report(self.first, "green", 60)
        self.assertQueryCount(PAGE + 16 + 2 + 5, self.client.get, url)


@override_settings(CACHES=LOCMEM)
class DashboardTests(EverywhereCase):
    def setUp(self):
        super().setUp()
        cache.clear()
        core.record_change(self.org, None, actor=self.owner)

    def home(self):
        return self.client.get(self.url("org_home"))

    def test_the_execution_card(self):
        Actual.objects.create(
            organization=self.org, initiative=self.second, month=date(2026, 11, 1), amount=9000
        )
        self.login("viewer")
        page = self.home()
        going = page.context["body"]
        self.assertIn('id="execution"', going)
        self.assertIn("Execution", going)
        self.assertIn(self.url("execution:overview"), going)
        self.assertIn("Over plan beyond 10%", going)
        # the overspend named, with a link to its execution page
        self.assertIn(self.url("execution:initiative", self.second.pk), going)
        self.assertIn("of 1 promised", going)
        self.assertNotIn("Globex", going)

    def test_reports_actuals_and_benefits_show_at_once(self):
        self.login("editor")
        self.home()
        cached = self.assertQueryCount(PAGE + 1, self.home)
        self.assertIn("<strong>0</strong> in trouble", cached.context["body"])
        response = self.client.post(
            self.url("execution:report_create", self.second.pk),
            {
                "reported_on": self.today.isoformat(),
                "health": "red",
                "scope_health": "green",
                "schedule_health": "red",
                "cost_health": "green",
                "percent_complete": 10,
                "progress": "Stuck.",
                "next_steps": "",
                "needs": "",
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertIn("<strong>1</strong> in trouble", self.home().context["body"])
        response = self.client.post(
            self.url("execution:actual_create"),
            {
                "initiative": self.second.pk,
                "month": date(2026, 11, 1).isoformat(),
                "amount": "7777",
                "kind": "one_off",
                "budget_line": "",
                "source": "",
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertIn("$7,897", self.home().context["body"])  # 120 + 7,777 spent to date
        response = self.client.post(
            self.url("execution:benefit_create"),
            {
                "initiative": self.second.pk,
                "kpi": self.ascent["kpi"].pk,
                "change": "3",
                "due": "2027-12-31",
                "confidence": "medium",
                "note": "",
            },
        )
        self.assertEqual(response.status_code, 302, response.content[:2000])
        self.assertIn("of 2 promised", self.home().context["body"])


class AgendaTests(EverywhereCase):
    def test_red_amber_missing_and_overspent_are_drafted_with_the_narrative(self):
        report(self.first, "red")  # newer than the amber one
        late = Initiative.objects.create(organization=self.org, title="Quiet", status="approved")
        report(late, "green", on=self.today - timedelta(days=120))  # nothing since
        spender = Initiative.objects.create(
            organization=self.org, title="Spender", status="in_progress", one_off_cost=100
        )
        report(spender, "green")
        Actual.objects.create(
            organization=self.org, initiative=spender, month=date(2026, 11, 1), amount=5000
        )
        drafts = {
            d.source: d
            for d in governance.draft_agenda(self.org, self.today)
            if d.kind == "execution"
        }
        self.assertEqual(set(drafts), {f"execution:{i.pk}" for i in (self.first, late, spender)})
        self.assertIn("in trouble", drafts[f"execution:{self.first.pk}"].title)
        self.assertIn("no status report", drafts[f"execution:{late.pk}"].title)
        self.assertIn("over plan", drafts[f"execution:{spender.pk}"].title)
        self.assertEqual(
            drafts[f"execution:{self.first.pk}"].url,
            self.url("execution:initiative", self.first.pk),
        )
        meeting = self.guideposts["meeting"]
        added = governance.add_drafted_agenda(meeting, actor=self.editor)
        self.assertEqual(governance.add_drafted_agenda(meeting, actor=self.editor), 0)
        self.assertGreaterEqual(added, 3)
        self.assertEqual(AgendaItem.objects.filter(meeting=meeting, kind="execution").count(), 3)
        self.login("viewer")
        pack = self.client.get(self.url("governance:meeting_briefing", meeting.pk))
        self.assertContains(pack, "The restore test failed twice.")  # what happened
        self.assertContains(pack, "Money for a second backup site.")  # what we need
        self.assertContains(pack, "What we need from the committee")
        self.assertNotContains(pack, "Globex")

    def test_green_reported_and_within_plan_is_not_drafted(self):
        report(self.first, "green", 50)
        Initiative.objects.filter(pk=self.second.pk).update(status="done")
        drafts = [d for d in governance.draft_agenda(self.org, self.today) if d.kind == "execution"]
        self.assertEqual(drafts, [])


class DocumentTests(EverywhereCase):
    def test_the_document_and_deck_have_an_execution_section(self):
        report(self.first, "red", 55)
        data = content.gather(self.org)
        going = data["execution"]
        by_title = {i["title"]: i for i in going["initiatives"]}
        self.assertEqual(by_title["Clean the data"]["health_label"], "In trouble")
        self.assertEqual(by_title["Clean the data"]["spent"], 120.0)
        self.assertEqual(going["benefits_promised"], 1)
        html = render.html(data)
        self.assertIn("7. Execution: how it is going", html)
        self.assertIn("In trouble", html)
        markdown = render.markdown(data)
        self.assertIn("## 7. Execution: how it is going", markdown)
        self.assertIn("| Clean the data | In trouble | 55% |", markdown)
        self.assertTrue(any("are in trouble" in line for line in content.summary(data)))

    def test_a_document_made_before_execution_reads_as_it_did(self):
        data = content.gather(self.org)
        del data["execution"]
        html = render.html(data)
        self.assertNotIn("7. Execution", html)
        self.assertNotIn("## 7. Execution", render.markdown(data))
        render.pptx(data)


class ReviewTests(EverywhereCase):
    def test_what_changed_says_an_initiative_turned_red(self):
        then = governance.snapshot(self.org)
        going = {i["title"]: i for i in then["execution"]}
        self.assertEqual(going["Clean the data"]["health"], "amber")
        self.assertEqual(going["Clean the data"]["spent_to_date"], 120.0)
        self.assertEqual(going["Clean the data"]["benefits_promised"], 1)
        report(self.first, "red")
        Actual.objects.create(
            organization=self.org, initiative=self.second, month=date(2026, 11, 1), amount=9000
        )
        now = governance.snapshot(self.org)
        changes = governance_rules.compare(then, now)
        self.assertIn(("Execution", "“Clean the data” turned red (was amber)."), changes)
        self.assertTrue(any("“New CRM” went over plan" in s for _, s in changes))

    def test_snapshots_from_before_execution_compare_quietly(self):
        now = governance.snapshot(self.org)
        old = {k: v for k, v in now.items() if k != "execution"}
        self.assertEqual([c for c in governance_rules.compare(old, now) if c[0] == "Execution"], [])
