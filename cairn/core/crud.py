"""Two small helpers for the add / change / delete pages every app has.

They only wire a form to ``core.services`` (which audits and refuses stale
edits) and pick the page or the HTMX partial; the rules live in the forms,
models and services.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.db import models
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from cairn.core import services
from cairn.core.htmx import render_htmx


def _hx_redirect(url: str) -> HttpResponse:
    response = HttpResponse(status=204)
    response["HX-Redirect"] = url
    return response


def form_page(
    request: HttpRequest,
    form_class: type[ModelForm],
    *,
    title: str,
    cancel_url: str,
    success_url: Callable[[models.Model], str],
    instance: models.Model | None = None,
    initial: dict | None = None,
    context: dict | None = None,
    on_htmx_success: Callable[[models.Model], HttpResponse] | None = None,
    form_kwargs: dict | None = None,
) -> HttpResponse:
    """Show a form for a row of ``request.org``; on a valid POST save it and go on.

    HTMX requests get only the form and, on success, either
    ``on_htmx_success(obj)`` or a redirect header.
    """
    form = form_class(
        request.POST if request.method == "POST" else None,
        instance=instance,
        initial=initial,
        organization=request.org,
        **(form_kwargs or {}),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                obj = services.save_form(form, actor=request.user)
            except services.ConflictError as e:
                form.add_error(None, str(e))
                status = 409
            except services.ServiceError as e:
                form.add_error(None, str(e))
                status = 422 if getattr(request, "htmx", False) else 200
            else:
                for warning in _warnings(obj):
                    messages.warning(request, warning)
                htmx = getattr(request, "htmx", False)
                if htmx and on_htmx_success:
                    return on_htmx_success(obj)  # the change shows in place: no message
                noun = obj._meta.verbose_name
                messages.success(request, f"{noun[0].upper()}{noun[1:]} saved: {obj}")
                return _hx_redirect(success_url(obj)) if htmx else redirect(success_url(obj))
        else:
            status = 422 if getattr(request, "htmx", False) else 200
    ctx = {
        "form": form,
        "object": instance,
        "title": title,
        "cancel_url": cancel_url,
        **(context or {}),
    }
    return render_htmx(request, "core/form_page.html", "core/partials/form.html", ctx, status)


def _warnings(obj: models.Model) -> list[str]:
    """Non-blocking warnings a model offers about its values (e.g. an odd target date)."""
    warn = getattr(obj, "target_date_warning", None)
    message = warn() if callable(warn) else None
    return [message] if message else []


def delete_page(
    request: HttpRequest, obj: models.Model, *, success_url: str, consequences: str = ""
) -> HttpResponse:
    """Confirm, then delete (audited). HTMX deletes answer with an empty body to swap out."""
    if request.method == "POST":
        try:
            services.delete_object(obj, actor=request.user)
        except services.ServiceError as e:
            messages.error(request, str(e))
            return redirect(success_url)
        messages.success(request, f"Deleted: {obj}")
        if getattr(request, "htmx", False):
            return HttpResponse("")
        return redirect(success_url)
    return render(
        request,
        "core/confirm_delete.html",
        {
            "object": obj,
            "noun": obj._meta.verbose_name,
            "cancel_url": success_url,
            "consequences": consequences,
        },
    )


def model_views(
    model: type[models.Model],
    form_class: type[ModelForm],
    *,
    id_kwarg: str,
    list_url: Callable[[HttpRequest], str],
    consequences: str = "",
) -> tuple[Callable, Callable, Callable]:
    """The add, change and delete views of one model, for editors.

    The list page stays the app's own view; these three are the same for
    every kind of row, so they are made once here.
    """
    from cairn.core.access import get_object_for_member, org_view
    from cairn.core.models import Role

    noun = str(model._meta.verbose_name)

    @org_view(Role.EDITOR)
    @require_http_methods(["GET", "POST"])
    def create(request):
        return form_page(
            request,
            form_class,
            title=f"Add {_article(noun)} {noun}",
            cancel_url=list_url(request),
            success_url=lambda obj: list_url(request),
        )

    @org_view(Role.EDITOR)
    @require_http_methods(["GET", "POST"])
    def edit(request, **kwargs):
        obj = get_object_for_member(request, model, kwargs[id_kwarg])
        return form_page(
            request,
            form_class,
            instance=obj,
            title=f"Change the {noun} “{obj}”",
            cancel_url=list_url(request),
            success_url=lambda o: list_url(request),
        )

    @org_view(Role.EDITOR)
    @require_http_methods(["GET", "POST"])
    def delete(request, **kwargs):
        obj = get_object_for_member(request, model, kwargs[id_kwarg])
        return delete_page(request, obj, success_url=list_url(request), consequences=consequences)

    return create, edit, delete


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"
