from django.urls import path

from cairn.aigov import views as v

app_name = "aigov"
urlpatterns = [
    path("ai/", v.register, name="register"),
    path("ai/use-cases/new/", v.usecase_create, name="usecase_create"),
    path("ai/use-cases/<int:usecase_id>/", v.usecase_detail, name="usecase_detail"),
    path("ai/use-cases/<int:usecase_id>/edit/", v.usecase_edit, name="usecase_edit"),
    path("ai/use-cases/<int:usecase_id>/delete/", v.usecase_delete, name="usecase_delete"),
    path("ai/use-cases/<int:usecase_id>/nist/", v.usecase_nist, name="usecase_nist"),
    path("ai/policies/", v.policy_list, name="policy_list"),
    path("ai/policies/new/", v.policy_create, name="policy_create"),
    path("ai/policies/<int:policy_id>/edit/", v.policy_edit, name="policy_edit"),
    path("ai/policies/<int:policy_id>/delete/", v.policy_delete, name="policy_delete"),
]
