"""State changes: audit rows, conflicts, invitations, roles, tokens."""

from datetime import date, timedelta

from django.utils import timezone

from cairn.core import services
from cairn.core.models import ApiToken, AuditEvent, AuditVia, Invitation, Membership, Role
from cairn.goals.forms import BusinessGoalForm, ITMissionForm
from cairn.goals.models import BusinessGoal
from tests.base import CairnTestCase


class AuditTests(CairnTestCase):
    def goal_form(self, data, instance=None):
        base = {"title": "Grow", "target_date": "2030-06-30", "priority": 1}
        return BusinessGoalForm({**base, **data}, instance=instance, organization=self.org)

    def test_create_records_who_what_and_after_values(self):
        form = self.goal_form({"title": "Open two stores"})
        self.assertTrue(form.is_valid(), form.errors)
        goal = services.save_form(form, actor=self.editor, via=AuditVia.CLI)
        event = AuditEvent.objects.get(object_type="goals.businessgoal", object_id=goal.pk)
        self.assertEqual(event.action, "create")
        self.assertEqual(event.actor, self.editor)
        self.assertEqual(event.via, "cli")
        self.assertIsNone(event.before)
        self.assertEqual(event.after["title"], "Open two stores")
        self.assertEqual(goal.organization, self.org)
        self.assertEqual(goal.created_by, self.editor)

    def test_update_records_before_and_after_and_bumps_version(self):
        form = self.goal_form({"title": "Grow faster", "seen_version": 1}, instance=self.goal)
        self.assertTrue(form.is_valid(), form.errors)
        goal = services.save_form(form, actor=self.owner)
        self.assertEqual(goal.version, 2)
        event = AuditEvent.objects.filter(action="update").get()
        self.assertEqual(event.before["title"], "Grow market share")
        self.assertEqual(event.after["title"], "Grow faster")
        self.assertIn(("title", "Grow market share", "Grow faster"), event.changes())

    def test_many_to_many_links_are_in_the_snapshot(self):
        form = ITMissionForm(
            {"statement": "Serve both", "goals": [self.goal.pk]}, organization=self.org
        )
        self.assertTrue(form.is_valid(), form.errors)
        mission = services.save_form(form, actor=self.owner)
        event = AuditEvent.objects.get(object_id=mission.pk, object_type="goals.itmission")
        self.assertEqual(event.after["goals"], [self.goal.pk])

    def test_stale_edit_is_refused_and_changes_nothing(self):
        BusinessGoal.objects.filter(pk=self.goal.pk).update(version=3)
        form = self.goal_form({"title": "Overwrite", "seen_version": 2}, instance=self.goal)
        self.assertTrue(form.is_valid())
        with self.assertRaises(services.ConflictError):
            services.save_form(form, actor=self.owner)
        self.assertEqual(BusinessGoal.objects.get(pk=self.goal.pk).title, "Grow market share")
        self.assertFalse(AuditEvent.objects.filter(action="update").exists())

    def test_delete_keeps_the_last_values(self):
        pk = self.goal.pk
        services.delete_object(self.goal, actor=self.owner)
        event = AuditEvent.objects.get(action="delete")
        self.assertEqual(event.object_id, pk)
        self.assertEqual(event.before["title"], "Grow market share")
        self.assertFalse(BusinessGoal.objects.filter(pk=pk).exists())


class PeopleTests(CairnTestCase):
    def test_invitation_works_once(self):
        invitation, key = services.create_invitation(
            self.org, role=Role.EDITOR, label="Sam", actor=self.owner
        )
        self.assertNotIn(key, invitation.key_hash)  # only the hash is stored
        found = services.find_invitation(key)
        self.assertEqual(found, invitation)
        membership = services.accept_invitation(found, self.outsider)
        self.assertEqual(membership.role, Role.EDITOR)
        self.assertIsNone(services.find_invitation(key))
        with self.assertRaises(services.ServiceError):
            services.accept_invitation(invitation, self.outsider)

    def test_expired_and_revoked_invitations_do_not_work(self):
        invitation, key = services.create_invitation(
            self.org, role=Role.VIEWER, label="Late", actor=self.owner
        )
        Invitation.objects.filter(pk=invitation.pk).update(
            expires=timezone.now() - timedelta(minutes=1)
        )
        self.assertIsNone(services.find_invitation(key))
        invitation2, key2 = services.create_invitation(
            self.org, role=Role.VIEWER, label="Revoked", actor=self.owner
        )
        services.revoke_invitation(invitation2, actor=self.owner)
        self.assertIsNone(services.find_invitation(key2))

    def test_last_owner_cannot_be_demoted_or_removed(self):
        owner_membership = Membership.objects.get(user=self.owner)
        with self.assertRaisesMessage(services.ServiceError, "at least one owner"):
            services.change_role(owner_membership, Role.VIEWER, actor=self.owner)
        with self.assertRaises(services.ServiceError):
            services.remove_member(owner_membership, actor=self.owner)
        editor = Membership.objects.get(user=self.editor)
        services.change_role(editor, Role.OWNER, actor=self.owner)
        services.change_role(owner_membership, Role.VIEWER, actor=self.editor)
        self.assertEqual(Membership.objects.get(user=self.owner).role, Role.VIEWER)

    def test_api_token_is_stored_hashed_and_identifies_its_user(self):
        token, key = services.create_api_token(self.editor, "import")
        self.assertEqual(services.user_for_token(key), self.editor)
        self.assertIsNone(services.user_for_token(key + "x"))
        self.assertNotEqual(token.key_hash, key)
        self.assertIsNotNone(ApiToken.objects.get(pk=token.pk).last_used)

    def test_first_user_only_once(self):
        with self.assertRaises(services.ServiceError):
            services.create_first_user(username="late", password="x" * 12, org_name="Late")


class GoalRulesTests(CairnTestCase):
    def test_target_date_warning_outside_one_to_ten_years(self):
        today = date(2026, 1, 1)
        goal = BusinessGoal(title="g", target_date=date(2030, 1, 1))
        self.assertIsNone(goal.target_date_warning(today))
        goal.target_date = date(2026, 6, 1)
        self.assertIn("Less than a year", goal.target_date_warning(today))
        goal.target_date = date(2040, 1, 1)
        self.assertIn("More than 10 years", goal.target_date_warning(today))
        goal.target_date = date(2025, 1, 1)
        self.assertIn("passed", goal.target_date_warning(today))
