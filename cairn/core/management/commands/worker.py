"""``cairn worker``: run background jobs, through database trouble and lost workers."""

import os

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from cairn.core.worker import Worker, new_worker_id


class Command(db_worker.Command):
    help = (
        "Run the background worker (long optimisations, schedules, PDFs). It waits out "
        "database errors and picks up the jobs of workers that stopped."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # host:pid:random, made in handle() so that a reloaded child names its own process
        parser.set_defaults(worker_id=None)
        parser.add_argument(
            "--lease",
            type=db_worker.valid_interval,
            default=getattr(settings, "TASKS_LEASE_SECONDS", 3600),
            help="Seconds after which a job still running under a worker on another machine "
            "is taken as lost and run again; longer than the longest job (default: %(default)s)",
        )
        parser.add_argument(
            "--max-attempts",
            type=db_worker.valid_max_tasks,
            default=getattr(settings, "TASKS_MAX_ATTEMPTS", 3),
            help="Workers a job may lose before it is marked failed (default: %(default)s)",
        )

        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="Do not run the periodic work (the reminders every few minutes); batch mode "
            "never runs it",
        )

    def handle(self, *, verbosity, queue_name, exclude_queues, reload, batch, **options):
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            excluded_queue_names=excluded,
            interval=options["interval"],
            batch=batch,
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"] or new_worker_id(),
            lease=options["lease"],
            max_attempts=options["max_attempts"],
            periodic=()
            if batch or options["no_periodic"]
            else getattr(settings, "CAIRN_PERIODIC", ()),
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only the child runs jobs
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
