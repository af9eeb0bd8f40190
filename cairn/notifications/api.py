"""REST endpoints of notifications."""

from ninja import Router

router = Router(tags=["Notifications"])
