"""The load test's look into the database, run with Cairn's own Python and the cluster's env.

    python loadtest/db.py tokens            API tokens for the load people, as JSON on stdout
    python loadtest/db.py verify WRITES     check every acknowledged write is there, whole

``verify`` reads the writers' log (one JSON object a line, see locustfile.py) and prints a JSON
report: measurements acknowledged but missing or changed, initiatives whose final text is
none the writer could have left, and initiatives whose version does not match their audit
trail (a save without its audit row, or the other way round: half-written).
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from datetime import date

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cairn.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from cairn.core.models import AuditAction, AuditEvent, Membership  # noqa: E402
from cairn.core.services import create_api_token  # noqa: E402
from cairn.kpis.models import Kpi, Measurement  # noqa: E402
from cairn.portfolio.models import Initiative  # noqa: E402


def tokens() -> dict:
    """A write token for each load person and for demo-editor, and each organisation's KPIs."""
    people = []
    users = get_user_model().objects.filter(username__startswith="load-").order_by("username")
    for user in [*users, get_user_model().objects.get(username="demo-editor")]:
        memberships = Membership.objects.filter(user=user).select_related("organization")
        for membership in memberships.order_by("organization__slug"):
            _, key = create_api_token(
                user, f"load test {membership.organization.slug}", organization=None
            )
            people.append(
                {"username": user.username, "org": membership.organization.slug, "token": key}
            )
    kpis = defaultdict(list)
    for slug, pk in Kpi.objects.values_list("organization__slug", "pk").order_by("pk"):
        kpis[slug].append(pk)
    return {"people": people, "kpis": kpis}


def verify(path: str) -> dict:
    """Every acknowledged write is in the database, and no save is half there."""
    measurements, edits = [], defaultdict(list)
    with open(path) as handle:
        for line in handle:
            row = json.loads(line)
            if row["kind"] == "measurement":
                measurements.append(row)
            else:
                edits[row["initiative"]].append(row)
    stored = {
        (kpi, day): value
        for kpi, day, value in Measurement.objects.filter(
            kpi__in={m["kpi"] for m in measurements}
        ).values_list("kpi", "date", "value")
    }
    # A day written again later holds the later value: only the last write of each counts.
    last = {(m["kpi"], date.fromisoformat(m["date"])): m for m in measurements}
    missing = [m for key, m in last.items() if m["ack"] and stored.get(key) != m["value"]]
    unacknowledged_kept = sum(
        1
        for m in measurements
        if not m["ack"] and (m["kpi"], date.fromisoformat(m["date"])) in stored
    )
    lost, half = [], []
    for pk, rows in edits.items():
        initiative = Initiative.objects.get(pk=pk)
        # The text left is the last acknowledged one, or one sent after it whose answer was
        # lost (a server killed after its commit): never an older one.
        acked = [i for i, r in enumerate(rows) if r["ack"]]
        allowed = {r["description"] for r in rows[acked[-1] if acked else 0 :]}
        if not acked:
            allowed.add(rows[0]["before"])
        if initiative.description not in allowed:
            lost.append({"initiative": pk, "description": initiative.description})
        updates = AuditEvent.objects.filter(
            object_type="portfolio.initiative", object_id=pk, action=AuditAction.UPDATE
        ).count()
        # Made for the load test (audited as created, never updated before its first edit).
        if initiative.version - rows[0]["version"] != updates:
            half.append({"initiative": pk, "version": initiative.version, "updates": updates})
        if sum(r["ack"] for r in rows) > initiative.version - rows[0]["version"]:
            lost.append({"initiative": pk, "version": initiative.version, "acked": len(acked)})
    return {
        "measurements_acknowledged": sum(m["ack"] for m in measurements),
        "measurements_missing": len(missing),
        "measurements_unacknowledged_kept": unacknowledged_kept,
        "initiative_saves_acknowledged": sum(r["ack"] for rows in edits.values() for r in rows),
        "initiatives_lost": lost,
        "initiatives_half_written": half,
        "ok": not missing and not lost and not half,
        "missing_sample": missing[:5],
    }


def audit_updates(pk: int) -> int:
    return AuditEvent.objects.filter(
        object_type="portfolio.initiative", object_id=pk, action=AuditAction.UPDATE
    ).count()


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "tokens":
        print(json.dumps(tokens()))
    elif command == "verify":
        print(json.dumps(verify(sys.argv[2])))
    elif command == "audit-updates":
        print(audit_updates(int(sys.argv[2])))
    else:
        sys.exit(f"unknown command {command}")
