"""Background work of documents, run by the worker (`cairn worker`)."""

from django_tasks import task

from cairn.documents import services
from cairn.documents.models import StrategyDocument


@task()
def make_pdf_task(document_id: int) -> None:
    """Make a strategy document's PDF and keep it."""
    doc = StrategyDocument.objects.filter(pk=document_id).first()
    if doc is not None:
        services.make_pdf(doc)
