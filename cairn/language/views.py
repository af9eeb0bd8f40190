"""Pages of plain language: the glossary, the organisation's jargon rules, the report of its
hardest texts, and the check that runs as people type."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.core.access import org_view
from cairn.core.crud import form_page, model_views
from cairn.core.models import Role
from cairn.language import checker, services
from cairn.language.forms import GlossaryTermForm, JargonRuleForm
from cairn.language.models import GlossaryTerm, JargonRule

MAX_TEXT = 20_000


def _url(request, name: str, *args) -> str:
    return reverse(f"language:{name}", args=[request.org.slug, *args])


@org_view()
@require_GET
def glossary(request):
    return render(
        request,
        "language/glossary.html",
        {
            "terms": GlossaryTerm.objects.filter(organization=request.org),
            "rules": JargonRule.objects.filter(organization=request.org),
            "builtin": sorted(checker.JARGON.items()),
            "rule": checker.RULE,
        },
    )


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def term_create(request):
    term = request.GET.get("term", "")[:60]
    return form_page(
        request,
        GlossaryTermForm,
        title="Define a term",
        cancel_url=_url(request, "glossary"),
        success_url=lambda obj: _url(request, "glossary"),
        initial={"term": term} if term else None,
    )


_, term_edit, term_delete = model_views(
    GlossaryTerm, GlossaryTermForm, id_kwarg="term_id", list_url=lambda r: _url(r, "glossary")
)
rule_create, rule_edit, rule_delete = model_views(
    JargonRule, JargonRuleForm, id_kwarg="rule_id", list_url=lambda r: _url(r, "glossary")
)


@org_view()
@require_GET
def report(request):
    """The organisation's texts, hardest to read first, with what to change."""
    texts = services.report(request.org)
    return render(
        request,
        "language/report.html",
        {
            "texts": [t for t in texts if t.result.findings][:100],
            "clean": sum(1 for t in texts if not t.result.findings),
            "total": len(texts),
            "rule": checker.RULE,
        },
    )


@org_view(Role.EDITOR)
@require_POST
def check(request):
    """The live check under a text field: what the text being typed would be told."""
    name = request.headers.get("HX-Trigger-Name") or "text"
    text = request.POST.get(name, request.POST.get("text", ""))[:MAX_TEXT]
    result = services.check(request.org, text) if text.strip() else None
    return render(request, "language/partials/check.html", {"result": result})
