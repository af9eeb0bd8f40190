"""The reminders as a deployment runs them: two ``cairn worker`` processes on one database
(SQLite file or PostgreSQL), each looking every second whether a reminder slot has begun,
sending to a real SMTP server on the loopback. The reminder is written and sent once."""

import time
from datetime import date

import pytest
from django.contrib.auth import get_user_model

from cairn.core.models import Membership, Organization, Role
from cairn.kpis.models import Kpi
from cairn.notifications.models import MailState, Notification, OutgoingMail, ReminderRun
from tests.mailserver import MailServer
from tests.processes import cairn, process_env, shared_database, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_send_a_due_reminder_once(tmp_path, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    org = Organization.objects.create(name="Acme", slug="acme")
    user = get_user_model().objects.create_user(
        "kim", email="kim@acme.example", first_name="Kim", last_name="Lee"
    )
    Membership.objects.create(user=user, organization=org, role=Role.EDITOR)
    Kpi.objects.create(
        organization=org,
        name="Online revenue",
        unit="EUR",
        rhythm="monthly",
        owner="Kim Lee",
        target_value=100,
        target_date=date(2030, 1, 1),
    )
    with MailServer() as server, shared_database(tmp_path) as database:
        env = process_env(
            database,
            EMAIL_URL=server.url(),
            CAIRN_TICK_SECONDS="1",
            CAIRN_REMIND_EVERY_MINUTES="1",
            CAIRN_BASE_URL="https://cairn.example.org",
        )
        options = ["--no-reload", "--no-startup-delay", "--skip-checks", "--interval", "0.2"]
        workers = [
            cairn("worker", *options, env=env, log=tmp_path / f"worker-{i}.log") for i in range(2)
        ]
        try:
            server.wait_for(1, timeout=30)
            # Both workers look at least three more times, over the next slot too.
            time.sleep(4)
            wait_for(lambda: ReminderRun.objects.count() >= 1, 10, "a slot claimed by a worker")
        finally:
            for worker in workers:
                worker.stop()
        logs = "\n".join(w.output() for w in workers)
        assert "Traceback" not in logs, logs
        assert len(server.messages) == 1, [m["Subject"] for m in server.messages]
        (message,) = server.messages
        assert "Online revenue" in message["Subject"]
        assert message["To"] == "kim@acme.example"
        link = f"https://cairn.example.org/o/acme/ascent/kpis/{Kpi.objects.get().pk}/#record"
        assert link in message.get_body(("plain",)).get_content()
        assert OutgoingMail.objects.get().state == MailState.SENT
        assert Notification.objects.filter(user=user).count() == 1
        runs = list(ReminderRun.objects.values_list("slot", flat=True))
        assert len(runs) == len(set(runs))  # one run per slot, whichever worker
