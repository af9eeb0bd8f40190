from django.urls import path

from cairn.documents import views as v

app_name = "documents"
urlpatterns = [
    path("strategy/", v.document_list, name="document_list"),
    path("strategy/new/", v.document_create, name="document_create"),
    path("strategy/<int:document_id>/", v.document_view, name="document_view"),
    path("strategy/<int:document_id>/file.<str:ext>", v.document_view, name="document_file"),
    path("strategy/<int:document_id>/delete/", v.document_delete, name="document_delete"),
]
