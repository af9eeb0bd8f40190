from django.urls import path

from cairn.language import views as v

app_name = "language"
urlpatterns = [
    path("plain-language/", v.report, name="report"),
    path("plain-language/check/", v.check, name="check"),
    path("glossary/", v.glossary, name="glossary"),
    path("glossary/new/", v.term_create, name="term_create"),
    path("glossary/<int:term_id>/edit/", v.term_edit, name="term_edit"),
    path("glossary/<int:term_id>/delete/", v.term_delete, name="term_delete"),
    path("glossary/words/new/", v.rule_create, name="rule_create"),
    path("glossary/words/<int:rule_id>/edit/", v.rule_edit, name="rule_edit"),
    path("glossary/words/<int:rule_id>/delete/", v.rule_delete, name="rule_delete"),
]
