"""What a load balancer or an orchestrator asks: is the process alive, is it ready to serve.

``/healthz`` (liveness) answers as long as the process does, without touching the database,
so that a database outage does not get every app server restarted. ``/readyz`` (readiness)
answers 200 only when the database answers, Redis answers if it is configured, and no
migration is waiting; otherwise 503 with each check's outcome, so the balancer sends people
elsewhere until it passes.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)
_migrated = False  # once every migration is applied, it stays so for this process's code


@never_cache
@require_GET
def healthz(request):
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    """Readiness: the database, Redis (if configured) and the migrations."""
    checks = {"database": _database()}
    if getattr(settings, "REDIS_URL", ""):
        checks["cache"] = _cache()
    if checks["database"] == "ok":
        checks["migrations"] = _migrations()
    ready = all(outcome == "ok" for outcome in checks.values())
    response = JsonResponse({"status": "ready" if ready else "not ready", "checks": checks})
    if not ready:
        response.status_code = 503
        response["Retry-After"] = "5"
    return response


def _database() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        log.warning("readyz: the database does not answer: %s", exc)
        connections[DEFAULT_DB_ALIAS].close()  # the next probe opens a new connection
        return "unreachable"
    return "ok"


def _cache() -> str:
    try:
        cache.set("cairn:readyz", "1", 10)
        if cache.get("cairn:readyz") != "1":
            return "unreachable"
    except Exception as exc:  # noqa: BLE001 - any client error means the same to a balancer
        log.warning("readyz: the cache does not answer: %s", exc)
        return "unreachable"
    return "ok"


def _migrations() -> str:
    global _migrated
    if _migrated:
        return "ok"
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        log.warning("readyz: the migrations could not be read: %s", exc)
        return "unreachable"
    if pending:
        return f"{len(pending)} pending: run cairn migrate"
    _migrated = True
    return "ok"
