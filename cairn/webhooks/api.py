"""REST endpoints of webhooks."""

from ninja import Router

router = Router(tags=["Webhooks"])
