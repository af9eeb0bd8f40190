"""Pages of the strategy document: the list of documents made, and each in four formats."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cairn.core.access import get_object_for_member, org_view
from cairn.core.crud import delete_page
from cairn.core.models import Role
from cairn.core.throttle import Throttled
from cairn.documents import render as renderer
from cairn.documents import services
from cairn.documents.models import StrategyDocument

FORMATS = {
    "pdf": "application/pdf",
    "md": "text/markdown; charset=utf-8",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def _url(request, name: str, *args) -> str:
    return reverse(f"documents:{name}", args=[request.org.slug, *args])


@org_view()
@require_GET
def document_list(request):
    docs = (
        StrategyDocument.objects.filter(organization=request.org)
        .select_related("created_by")
        .defer("data", "pdf")
    )
    return render(request, "documents/document_list.html", {"documents": docs})


@org_view(Role.EDITOR)
@require_POST
def document_create(request):
    try:
        doc = services.make(request.org, actor=request.user)
    except Throttled as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"Made: {doc.title}.")
    return redirect(_url(request, "document_list"))


@org_view()
@require_GET
def document_view(request, document_id: int, ext: str = "html"):
    fmt = ext
    doc = get_object_for_member(request, StrategyDocument, document_id)
    if fmt == "html":
        return HttpResponse(renderer.html(doc.data))
    if fmt not in FORMATS:
        raise Http404
    try:
        if fmt == "pdf":
            body = services.pdf_now(doc)
        elif fmt == "md":
            body = renderer.markdown(doc.data).encode()
        else:
            body = services.pptx_now(doc)
    except Throttled as e:  # another file is being made: say so on the list, make nothing
        messages.error(request, str(e))
        return redirect(_url(request, "document_list"))
    response = HttpResponse(body, content_type=FORMATS[fmt])
    name = f"{request.org.slug}-strategy-{doc.data['made_on']}.{fmt}"
    disposition = "inline" if fmt == "pdf" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    return response


@org_view(Role.EDITOR)
@require_http_methods(["GET", "POST"])
def document_delete(request, document_id: int):
    doc = get_object_for_member(request, StrategyDocument.objects.defer("data", "pdf"), document_id)
    return delete_page(request, doc, success_url=_url(request, "document_list"))
