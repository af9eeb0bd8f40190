from django.urls import path

from cairn.webhooks import views as v

app_name = "webhooks"
urlpatterns = [
    path("settings/webhooks/", v.webhook_list, name="list"),
    path("settings/webhooks/new/", v.webhook_create, name="create"),
    path("settings/webhooks/<int:webhook_id>/", v.webhook_detail, name="detail"),
    path("settings/webhooks/<int:webhook_id>/edit/", v.webhook_edit, name="edit"),
    path("settings/webhooks/<int:webhook_id>/delete/", v.webhook_delete, name="delete"),
    path("settings/webhooks/<int:webhook_id>/test/", v.webhook_test, name="test"),
]
