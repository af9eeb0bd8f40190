from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "cairn.documents"
    label = "documents"
    verbose_name = "Strategy document"

    def ready(self):
        from cairn.core.failed_jobs import when_failed
        from cairn.documents.services import background_pdf_failed

        # A PDF job that ends failed (it raised, or its worker was lost) fails its document:
        # the list says so and the organisation's turn is free.
        when_failed("cairn.documents.tasks.make_pdf_task", background_pdf_failed)
