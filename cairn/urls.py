from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cairn.api.api import api
from cairn.core import health, import_views
from cairn.core import views as core
from cairn.governance import views as governance
from cairn.identity import audit
from cairn.identity.forms import SignInForm
from cairn.kpis import views as kpis
from cairn.notifications import accounts
from cairn.notifications.urls import site_patterns as notification_patterns
from cairn.transfer import views as whole

org_patterns = [
    path("", kpis.dashboard, name="org_home"),
    path("activity/", core.activity, name="activity"),
    path("activity/export/", audit.export_form, name="activity_export_form"),
    path("activity/export.<str:fmt>", audit.export, name="activity_export"),
    path("activity/trash/<int:entry_id>/restore/", core.trash_restore, name="trash_restore"),
    path("imports/<int:job_id>/", import_views.import_job, name="import_job"),
    path("getting-started/dismiss/", core.checklist_dismiss, name="checklist_dismiss"),
    path("settings/", core.organization_settings, name="organization_settings"),
    path("settings/export.json", whole.organization_export, name="organization_export"),
    path("settings/delete/", core.organization_delete, name="organization_delete"),
    path("members/", core.members, name="members"),
    path("members/invite/", core.invitation_create, name="invitation_create"),
    path("members/<int:member_id>/role/", core.member_role, name="member_role"),
    path("members/<int:member_id>/remove/", core.member_remove, name="member_remove"),
    path(
        "invitations/<int:invitation_id>/revoke/", core.invitation_revoke, name="invitation_revoke"
    ),
    path("", include("cairn.goals.urls")),
    path("", include("cairn.assessment.urls")),
    path("", include("cairn.portfolio.urls")),
    path("", include("cairn.roadmap.urls")),
    path("", include("cairn.kpis.urls")),
    path("", include("cairn.governance.urls")),
    path("", include("cairn.language.urls")),
    path("", include("cairn.aigov.urls")),
    path("", include("cairn.documents.urls")),
    path("", include("cairn.execution.urls")),
    path("", include("cairn.identity.urls_org")),
    path("", include("cairn.notifications.urls")),
    path("", include("cairn.webhooks.urls")),
    path("", include("cairn.exchange.urls")),
    path("", include("cairn.links.urls")),
]

urlpatterns = [
    path("", core.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("setup/", core.setup, name="setup"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=SignInForm
        ),
        name="login",
    ),
    path("accounts/", include("cairn.identity.urls")),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/sent/", accounts.password_reset_done, name="password_reset_done"),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        accounts.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "accounts/password-reset/done/",
        accounts.password_reset_complete,
        name="password_reset_complete",
    ),
    path("profile/", core.profile, name="profile"),
    path("profile/password/", core.PasswordChange.as_view(), name="password_change"),
    path("profile/tokens/<int:token_id>/delete/", core.token_delete, name="token_delete"),
    path("orgs/new/", whole.organization_create, name="organization_create"),
    path("orgs/import/", whole.organization_import, name="organization_import"),
    path("join/<str:key>/", core.join, name="join"),
    path("calendar/<str:key>.ics", governance.calendar_feed, name="calendar_feed"),
    *notification_patterns,
    path("o/<slug:org_slug>/", include(org_patterns)),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler400 = "cairn.core.views.bad_request"
handler403 = "cairn.core.views.permission_denied"
handler404 = "cairn.core.views.not_found"
handler500 = "cairn.core.views.server_error"
