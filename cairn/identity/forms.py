"""The sign-in form: Django's, with the single sign-on button's name and the plain message
for a password refused because the organisation signs in with single sign-on."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from cairn.identity import oidc
from cairn.identity.backends import SSO_REQUIRED


class SignInForm(AuthenticationForm):
    error_messages = {**AuthenticationForm.error_messages, "sso_required": SSO_REQUIRED}

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if getattr(self.request, "cairn_sso_required", False):
                raise ValidationError(
                    self.error_messages["sso_required"], code="sso_required"
                ) from None
            raise

    @property
    def sso_required(self) -> bool:
        """True when the password was refused for the single sign-on rule."""
        return any(e.code == "sso_required" for e in self.non_field_errors().as_data())

    @property
    def sso_provider(self) -> str:
        """The name on the single sign-on button; empty when single sign-on is not set up."""
        return settings.OIDC_PROVIDER_NAME if oidc.enabled() else ""
