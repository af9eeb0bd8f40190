"""Making strategy documents: the content is gathered and kept; the PDF is made from it
(in the background when asked through the API)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cairn.core import services as core
from cairn.core.models import AuditVia, Organization
from cairn.documents import content, render
from cairn.documents.models import DocState, StrategyDocument


def make(org: Organization, *, actor, via=AuditVia.WEB) -> StrategyDocument:
    """Gather today's strategy into a new document (the PDF is made on first request)."""
    data = content.gather(org)
    doc = StrategyDocument.objects.create(
        organization=org,
        title=f"IT strategy of {org.name}, {timezone.localdate():%d %B %Y}",
        data=data,
        created_by=actor if actor and actor.pk else None,
    )
    core.record_change(doc, None, actor=actor, via=via)
    return doc


def _set(doc: StrategyDocument, **fields) -> None:
    StrategyDocument.objects.filter(pk=doc.pk).update(**fields)
    for k, v in fields.items():
        setattr(doc, k, v)


def make_pdf(doc: StrategyDocument) -> bytes:
    """The document's PDF, made once from its stored content and kept."""
    if doc.pdf:
        return bytes(doc.pdf)
    _set(doc, state=DocState.RUNNING, progress=20)
    try:
        pdf = render.pdf(doc.data)
    except Exception:
        _set(doc, state=DocState.FAILED, progress=0)
        raise
    _set(doc, pdf=pdf, state=DocState.READY, progress=100)
    return pdf


def queue_pdf(doc: StrategyDocument) -> None:
    from cairn.documents.tasks import make_pdf_task

    _set(doc, state=DocState.QUEUED, progress=5)
    transaction.on_commit(lambda: make_pdf_task.enqueue(doc.pk))
