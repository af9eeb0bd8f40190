from django.urls import include, path

from cairn.exchange import views

app_name = "exchange"

urlpatterns = [
    path("data/", views.index, name="index"),
    path("data/workbook.xlsx", views.workbook, name="workbook"),
    path("data/<str:kind>/export.<str:fmt>", views.export, name="export"),
    path("data/<str:kind>/template.<str:fmt>", views.template, name="template"),
    path("data/imports/<int:job_id>/confirm/", views.confirm, name="confirm"),
    path("data/imports/<int:job_id>/cancel/", views.cancel, name="cancel"),
    path("data/from/", include("cairn.exchange.mapping_urls")),
]
