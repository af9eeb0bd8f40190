from django.urls import path  # noqa: F401

# At /accounts/ (the sign-in pages): each part adds its own list below.
urlpatterns: list = []

# The second factor (cairn/identity/second_factor.py).
from cairn.identity import second_factor  # noqa: E402

urlpatterns += [
    path("two-factor/verify/", second_factor.verify, name="two_factor_verify"),
    path("two-factor/set-up/", second_factor.set_up, name="two_factor_set_up"),
    path("two-factor/recovery-codes/", second_factor.recovery_codes, name="two_factor_codes"),
    path(
        "two-factor/recovery-codes/new/",
        second_factor.recovery_codes_new,
        name="two_factor_codes_new",
    ),
    path("two-factor/remove/", second_factor.remove_view, name="two_factor_remove"),
]

# Sessions and the password reset limit (cairn/identity/session_views.py). The reset form is
# matched here before the unlimited one cairn/urls.py also names password_reset.
from cairn.identity import session_views  # noqa: E402

urlpatterns += [
    path("sessions/end/", session_views.session_end, name="session_end"),
    path("sessions/end-others/", session_views.sessions_end_others, name="sessions_end_others"),
    path("password-reset/", session_views.password_reset, name="password_reset"),
]

# Single sign-on (cairn/identity/oidc.py): /accounts/oidc/authenticate/ and
# /accounts/oidc/callback/. Signing out is matched here before the plain LogoutView of
# cairn/urls.py: the same sign-out, then to the provider's end_session_endpoint for a
# single sign-on session (settings.OIDC_OP_LOGOUT_URL_METHOD).
from django.urls import include  # noqa: E402
from mozilla_django_oidc.views import OIDCLogoutView  # noqa: E402

urlpatterns += [
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("logout/", OIDCLogoutView.as_view(), name="logout"),
]
