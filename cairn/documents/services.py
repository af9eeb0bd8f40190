"""Making strategy documents: the content is gathered and kept; the PDF is made from it
(in the background when asked through the API). One document job at a time per
organisation (a PDF or board pack being made, or a PDF waiting for the worker)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from cairn.core import services as core
from cairn.core import throttle
from cairn.core.models import AuditVia, Organization
from cairn.documents import content, render
from cairn.documents.models import DocState, StrategyDocument

# A PDF takes 0.7–1.5 s for a small organisation on two cores (measured); a large one's
# content, or a busy worker, takes longer: what a refused client is told to wait.
PDF_SECONDS = 30.0
DOCUMENT = throttle.Kind(
    "document", "The PDF of “{}” is waiting to be made.", "A file of “{}” is being made."
)


def document_jobs(org: Organization) -> list[throttle.Job]:
    """The organisation's documents whose PDF waits for the worker, or whose file is being
    made."""
    busy = StrategyDocument.objects.filter(
        organization=org, state__in=[DocState.QUEUED, DocState.RUNNING]
    ).only("pk", "title", "state", "updated")
    return [
        DOCUMENT.job(
            f"document {d.pk}",
            d.title,
            waiting=d.state == DocState.QUEUED,
            since=d.updated,
            takes_s=PDF_SECONDS,
        )
        for d in busy
    ]


def make(org: Organization, *, actor, via=AuditVia.WEB, with_pdf: bool = False) -> StrategyDocument:
    """Gather today's strategy into a new document; ``with_pdf`` queues its PDF for the
    worker (else it is made on first request). Refused with ``throttle.Throttled``, nothing
    written, while another document job of the organisation waits or runs."""
    throttle.check(document_jobs(org), DOCUMENT)  # before gathering anything
    data = content.gather(org)
    with transaction.atomic():
        if with_pdf:
            throttle.admit(org, lambda: document_jobs(org), DOCUMENT)
        doc = StrategyDocument.objects.create(
            organization=org,
            title=f"IT strategy of {org.name}, {timezone.localdate():%d %B %Y}",
            data=data,
            created_by=actor if actor and actor.pk else None,
            **({"state": DocState.QUEUED, "progress": 5} if with_pdf else {}),
        )
        core.record_change(doc, None, actor=actor, via=via)
    if with_pdf:
        from cairn.documents.tasks import make_pdf_task

        transaction.on_commit(lambda: make_pdf_task.enqueue(doc.pk))
    return doc


def _set(doc: StrategyDocument, **fields) -> None:
    fields["updated"] = timezone.now()  # when the state last changed: a job's age
    StrategyDocument.objects.filter(pk=doc.pk).update(**fields)
    for k, v in fields.items():
        setattr(doc, k, v)


def make_pdf(doc: StrategyDocument) -> bytes:
    """The document's PDF, made once from its stored content and kept (the worker's part)."""
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


def background_pdf_failed(task_result, why: str) -> None:
    """A PDF job that ended failed (it raised, or its worker was lost for good): the
    document, if still waiting or being made, is failed; opening its PDF makes it again."""
    StrategyDocument.objects.filter(
        pk=task_result.args[0], state__in=[DocState.QUEUED, DocState.RUNNING]
    ).update(state=DocState.FAILED, progress=0, updated=timezone.now())


def _being_made(doc: StrategyDocument) -> None:
    """Refuse a file of a document whose PDF is waiting or being made already: it should be
    ready soon."""
    mine = [j for j in document_jobs(doc.organization) if j.key == f"document {doc.pk}"]
    for job in throttle.active(mine):
        wait = job.retry_after(timezone.now())
        raise throttle.Throttled(
            f"“{doc.title}” is being made already: try again in {throttle.seconds(wait)}.", wait
        )


def _in_turn(doc: StrategyDocument, make_file: Callable[[], bytes]) -> bytes:
    """Make one of a document's files in this request, as the organisation's document job."""
    _being_made(doc)
    org = doc.organization
    with transaction.atomic():
        throttle.admit(org, lambda: document_jobs(org), DOCUMENT)
        before = (doc.state, doc.progress)
        _set(doc, state=DocState.RUNNING)
    try:
        return make_file()
    finally:
        current = StrategyDocument.objects.filter(pk=doc.pk).values_list("state", flat=True)
        if current.first() == DocState.RUNNING:  # not settled by make_pdf: put it back
            _set(doc, state=before[0], progress=before[1])


def pdf_now(doc: StrategyDocument) -> bytes:
    """The PDF for a page: the one kept, or made in this request in the organisation's turn
    (``throttle.Throttled`` when it is not its turn)."""
    if doc.pdf:
        return bytes(doc.pdf)
    return _in_turn(doc, lambda: make_pdf(doc))


def pptx_now(doc: StrategyDocument) -> bytes:
    """The board pack, made in this request in the organisation's turn."""
    return _in_turn(doc, lambda: render.pptx(doc.data))
