from django.apps import AppConfig
from django.db.models.signals import post_save


class WebhooksConfig(AppConfig):
    name = "cairn.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from cairn.webhooks.services import audit_saved

        # Every change, whichever door it came through, writes an audit row: events are
        # read from there (bulk writers' rows send no signal: see docs/webhooks.md).
        post_save.connect(audit_saved, sender="core.AuditEvent", dispatch_uid="webhooks-audit")
