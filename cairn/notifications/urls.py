from django.urls import path

from cairn.notifications import views as v

app_name = "notifications"
# Under /o/<org_slug>/.
urlpatterns = [
    path("notifications/", v.preferences, name="preferences"),
    path("settings/notifications/", v.defaults, name="defaults"),
    path("settings/mail/", v.mail_log, name="mail_log"),
    path("settings/mail/<int:mail_id>/retry/", v.mail_retry, name="mail_retry"),
]

# At the site's root: the inbox is a person's, across their organisations.
site_patterns = [
    path("inbox/", v.inbox, name="inbox"),
    path("inbox/read-all/", v.inbox_read_all, name="inbox_read_all"),
    path("inbox/<int:notification_id>/", v.inbox_open, name="inbox_open"),
    path("unsubscribe/<str:token>/", v.unsubscribe, name="unsubscribe"),
]
