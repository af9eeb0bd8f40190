"""The person's own account (password change) and what Django's admin offers."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.http import HttpRequest

from tests.base import PASSWORD, CairnTestCase

NEW_PASSWORD = "a new and longer passphrase"


class PasswordChangeTests(CairnTestCase):
    def test_the_profile_links_to_the_password_page(self):
        self.login("viewer")
        response = self.client.get("/profile/")
        self.assertContains(response, 'href="/profile/password/"')
        page = self.client.get("/profile/password/")
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "Change your password")
        self.assertContains(page, 'class="form-control')

    def test_a_wrong_old_password_is_a_field_error_and_changes_nothing(self):
        self.login("editor")
        response = self.client.post(
            "/profile/password/",
            {
                "old_password": "not my password",
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("old_password", response.context["form"].errors)
        self.assertContains(response, "invalid-feedback")
        self.editor.refresh_from_db()
        self.assertTrue(self.editor.check_password(PASSWORD))

    def test_mismatched_new_passwords_are_a_field_error(self):
        self.login("editor")
        response = self.client.post(
            "/profile/password/",
            {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": "other"},
        )
        self.assertIn("new_password2", response.context["form"].errors)
        self.editor.refresh_from_db()
        self.assertTrue(self.editor.check_password(PASSWORD))

    def test_success_keeps_the_session_and_the_new_password_signs_in(self):
        self.login("editor")
        response = self.client.post(
            "/profile/password/",
            {
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
            follow=True,
        )
        self.assertRedirects(response, "/profile/")
        self.assertContains(response, "Your password is changed")
        # Still signed in after the change (the session hash was updated).
        self.assertEqual(self.client.get("/profile/").status_code, 200)
        self.client.logout()
        self.assertFalse(
            self.client.login(request=HttpRequest(), username="editor", password=PASSWORD)
        )
        signed_in = self.client.post(
            "/accounts/login/", {"username": "editor", "password": NEW_PASSWORD}
        )
        self.assertEqual(signed_in.status_code, 302)
        self.assertEqual(self.client.get("/profile/").status_code, 200)

    def test_anonymous_is_sent_to_sign_in(self):
        response = self.client.get("/profile/password/")
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])


class AdminTests(CairnTestCase):
    """A change made in /admin/ would leave no audit event: no organisation data there."""

    def setUp(self):
        User.objects.create_superuser("root", password=PASSWORD)
        self.client.login(request=HttpRequest(), username="root", password=PASSWORD)

    def test_no_organisation_data_model_is_registered(self):
        cairn_models = [m for m in admin.site._registry if m.__module__.startswith("cairn.")]
        self.assertEqual(cairn_models, [])

    def test_organisation_data_pages_are_not_found_for_a_superuser(self):
        for model in apps.get_models():
            if not model.__module__.startswith("cairn."):
                continue
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.get("/admin/goals/businessgoal/").status_code, 404)
        index = self.client.get("/admin/")
        self.assertEqual(index.status_code, 200)
        self.assertNotContains(index, "Business goals")
