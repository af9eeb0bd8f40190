"""The trash: a delete, from the web or the API, undone from the Activity page within 30 days."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cairn.core import services, trash
from cairn.core.models import AuditEvent, TrashEntry
from cairn.goals.models import BusinessGoal
from cairn.portfolio.models import Criterion, CriterionScore, Initiative, TeamEffort
from tests.base import CairnTestCase


class TrashTests(CairnTestCase):
    def links(self, goal_pk):
        goal = BusinessGoal.objects.get(pk=goal_pk)
        return (
            sorted(goal.missions.values_list("pk", flat=True)),
            sorted(goal.initiatives.values_list("pk", flat=True)),
            sorted(goal.painpoints.values_list("pk", flat=True))
            if hasattr(goal, "painpoints")
            else None,
        )

    def test_goal_deleted_from_the_web_is_restored_with_its_links(self):
        initiative = Initiative.objects.filter(organization=self.org).first()
        initiative.goals.add(self.goal)
        before = self.links(self.goal.pk)
        self.assertTrue(before[0] and before[1])
        version = self.goal.version
        self.login("editor")
        self.client.post(self.url("goals:goal_delete", self.goal.pk))
        self.assertFalse(BusinessGoal.objects.filter(pk=self.goal.pk).exists())
        entry = TrashEntry.objects.get(organization=self.org, object_id=self.goal.pk)
        page = self.client.get(self.url("activity"))
        self.assertContains(page, "Deleted recently")
        self.assertContains(page, self.url("trash_restore", entry.pk))
        response = self.client.post(self.url("trash_restore", entry.pk), follow=True)
        self.assertContains(response, "Restored")
        self.assertEqual(self.links(self.goal.pk), before)
        self.assertEqual(BusinessGoal.objects.get(pk=self.goal.pk).version, version)
        self.assertFalse(TrashEntry.objects.filter(pk=entry.pk).exists())
        self.assertTrue(
            AuditEvent.objects.filter(
                action="restore", object_type="goals.businessgoal", object_id=self.goal.pk
            ).exists()
        )

    def test_initiative_with_efforts_and_scores_comes_back(self):
        initiative = Initiative.objects.filter(organization=self.org).first()
        team = self.terrain["team"]
        TeamEffort.objects.get_or_create(initiative=initiative, team=team, defaults={"months": 3})
        criterion = Criterion.objects.create(organization=self.org, name="Trash test")
        CriterionScore.objects.create(criterion=criterion, initiative=initiative, value=4)
        efforts = sorted(initiative.efforts.values_list("pk", "team_id", "months"))
        scores = sorted(initiative.scores.values_list("pk", "criterion_id", "value"))
        goals = sorted(initiative.goals.values_list("pk", flat=True))
        pk = initiative.pk
        services.delete_object(initiative, actor=self.editor)
        self.assertFalse(TeamEffort.objects.filter(initiative_id=pk).exists())
        entry = TrashEntry.objects.get(model="portfolio.initiative", object_id=pk)
        trash.restore_entry(entry, actor=self.editor)
        back = Initiative.objects.get(pk=pk)
        self.assertEqual(sorted(back.efforts.values_list("pk", "team_id", "months")), efforts)
        self.assertEqual(sorted(back.scores.values_list("pk", "criterion_id", "value")), scores)
        self.assertEqual(sorted(back.goals.values_list("pk", flat=True)), goals)

    def test_restore_refused_when_a_parent_has_gone_and_writes_nothing(self):
        initiative = Initiative.objects.filter(organization=self.org).first()
        criterion = Criterion.objects.create(organization=self.org, name="Gone later")
        CriterionScore.objects.create(criterion=criterion, initiative=initiative, value=2)
        pk = initiative.pk
        services.delete_object(initiative, actor=self.editor)
        entry = TrashEntry.objects.get(model="portfolio.initiative", object_id=pk)
        criterion.delete()
        events = AuditEvent.objects.count()
        with self.assertRaises(services.ServiceError):
            trash.restore_entry(entry, actor=self.editor)
        self.assertFalse(Initiative.objects.filter(pk=pk).exists())
        self.assertEqual(AuditEvent.objects.count(), events)
        self.assertTrue(TrashEntry.objects.filter(pk=entry.pk).exists())

    def test_after_30_days_restore_is_refused_and_the_entry_purged(self):
        pk = self.goal.pk
        services.delete_object(self.goal, actor=self.editor)
        entry = TrashEntry.objects.get(object_id=pk, model="goals.businessgoal")
        TrashEntry.objects.filter(pk=entry.pk).update(
            deleted_at=timezone.now() - timedelta(days=31)
        )
        self.login("editor")
        response = self.client.post(self.url("trash_restore", entry.pk), follow=True)
        self.assertContains(response, "more than 30 days ago")
        self.assertFalse(BusinessGoal.objects.filter(pk=self.goal.pk).exists())
        self.assertFalse(TrashEntry.objects.filter(pk=entry.pk).exists())

    def test_activity_page_purges_old_entries(self):
        services.delete_object(self.goal, actor=self.editor)
        TrashEntry.objects.update(deleted_at=timezone.now() - timedelta(days=31))
        self.login("viewer")
        self.assertNotContains(self.client.get(self.url("activity")), "Deleted recently")
        self.assertFalse(TrashEntry.objects.filter(organization=self.org).exists())

    def test_viewers_and_outsiders_cannot_restore(self):
        pk = self.goal.pk
        services.delete_object(self.goal, actor=self.editor)
        entry = TrashEntry.objects.get(object_id=pk, model="goals.businessgoal")
        self.login("viewer")
        self.assertNotContains(self.client.get(self.url("activity")), "Restore</button>")
        self.assertEqual(self.client.post(self.url("trash_restore", entry.pk)).status_code, 403)
        self.login("outsider")
        self.assertEqual(self.client.post(self.url("trash_restore", entry.pk)).status_code, 404)
        # the outsider's own organisation does not reach acme's entry either
        from django.urls import reverse

        url = reverse("trash_restore", args=[self.other_org.slug, entry.pk])
        self.assertEqual(self.client.post(url).status_code, 404)
        self.assertFalse(BusinessGoal.objects.filter(pk=pk).exists())

    def test_api_delete_goes_to_the_trash(self):
        key = services.create_api_token(self.editor, "trash")[1]
        response = self.client.delete(
            f"/api/v1/orgs/acme/goals/{self.goal.pk}", HTTP_AUTHORIZATION=f"Bearer {key}"
        )
        self.assertEqual(response.status_code, 204)
        entry = TrashEntry.objects.get(object_id=self.goal.pk, model="goals.businessgoal")
        trash.restore_entry(entry, actor=self.editor)
        self.assertTrue(BusinessGoal.objects.filter(pk=self.goal.pk).exists())


class OrganizationDeleteTests(CairnTestCase):
    def test_only_the_owner_deletes_after_typing_the_exact_name(self):
        from django.apps import apps

        from cairn.core.models import Organization, OrgModel

        url = self.url("organization_delete")
        for persona in ("editor", "viewer"):
            self.login(persona)
            self.assertEqual(self.client.get(url).status_code, 403)
            self.assertEqual(self.client.post(url, {"name": "Acme"}).status_code, 403)
        self.login("owner")
        page = self.client.get(url)
        self.assertContains(page, self.url("organization_export"))
        self.assertContains(self.client.get(self.url("organization_settings")), url)
        wrong = self.client.post(url, {"name": "acme"})
        self.assertContains(wrong, "exactly as shown")
        self.assertTrue(Organization.objects.filter(pk=self.org.pk).exists())
        org_models = [m for m in apps.get_models() if issubclass(m, OrgModel)]
        other_counts = {
            m: m.objects.filter(organization=self.other_org).count() for m in org_models
        }
        self.assertEqual(self.client.post(url, {"name": "Acme"}).status_code, 302)
        self.assertFalse(Organization.objects.filter(pk=self.org.pk).exists())
        for m in org_models:
            self.assertFalse(m.objects.filter(organization_id=self.org.pk).exists(), m)
            self.assertEqual(m.objects.filter(organization=self.other_org).count(), other_counts[m])
        self.assertFalse(AuditEvent.objects.filter(organization_id=self.org.pk).exists())

    def test_an_organisation_with_a_capability_tree_is_deleted_whole(self):
        """A capability's parent cannot be deleted alone (test_assessment), but deleting the
        organisation takes the whole tree: it was refused with ProtectedError, a 500."""
        from cairn.assessment.models import Capability
        from cairn.core.models import Organization

        top = Capability.objects.create(organization=self.org, name="Sell")
        middle = Capability.objects.create(organization=self.org, name="Quote", parent=top)
        Capability.objects.create(organization=self.org, name="Price", parent=middle)
        Capability.objects.create(organization=self.other_org, name="Sell")
        others = Capability.objects.filter(organization=self.other_org).count()
        self.login("owner")
        response = self.client.post(self.url("organization_delete"), {"name": "Acme"})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Organization.objects.filter(pk=self.org.pk).exists())
        self.assertFalse(Capability.objects.filter(organization_id=self.org.pk).exists())
        self.assertEqual(Capability.objects.filter(organization=self.other_org).count(), others)
