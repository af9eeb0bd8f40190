"""``cairn serve``: the production web server (gunicorn), with defaults that need no tuning."""

from __future__ import annotations

import logging
import os

from django.core.management.base import BaseCommand, CommandError


def default_workers() -> int:
    """Two processes per core plus one, as gunicorn advises, at most 12."""
    return min(2 * (os.cpu_count() or 1) + 1, 12)


class Command(BaseCommand):
    help = (
        "Serve Cairn with gunicorn: several processes, each with a few threads, restarted "
        "after a while, and stopped gracefully on SIGTERM (requests in flight finish). "
        "Run `cairn collectstatic` once before, and `cairn worker` beside it."
    )
    requires_system_checks = []  # gunicorn loads the app; checks run with `cairn check`

    def add_arguments(self, parser):
        env = os.environ.get
        parser.add_argument(
            "--bind",
            default=env("CAIRN_BIND", "127.0.0.1:8000"),
            help="Address and port to listen on, or unix:PATH (CAIRN_BIND; default: "
            "%(default)s; 0.0.0.0:8000 in the container)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(env("WEB_CONCURRENCY") or default_workers()),
            help="Processes (WEB_CONCURRENCY; default: two per core plus one, now %(default)s)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(env("CAIRN_THREADS") or 4),
            help="Threads per process (CAIRN_THREADS; default: %(default)s)",
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=int(env("CAIRN_REQUEST_TIMEOUT") or 60),
            help="Seconds a request may take before its process is restarted "
            "(CAIRN_REQUEST_TIMEOUT; default: %(default)s; long work runs in the worker)",
        )
        parser.add_argument(
            "--graceful-timeout",
            type=int,
            default=int(env("CAIRN_GRACEFUL_TIMEOUT") or 30),
            help="Seconds requests in flight get to finish on SIGTERM (default: %(default)s)",
        )
        parser.add_argument(
            "--pid", default=env("CAIRN_PID_FILE", ""), help="Write the main process's PID here"
        )
        parser.add_argument(
            "--access-log",
            action="store_true",
            help="Also write gunicorn's own access log (Cairn already logs every request)",
        )

    def handle(self, *args, **options):
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1.")
        from gunicorn.app.base import BaseApplication

        from cairn.wsgi import application

        config = {
            "bind": options["bind"],
            "workers": options["workers"],
            "threads": options["threads"],
            "worker_class": "gthread",
            "timeout": options["timeout"],
            "graceful_timeout": options["graceful_timeout"],
            "keepalive": 5,
            # A process is replaced after this many requests (with jitter, not all at once),
            # so that memory a long-running process gathers is given back.
            "max_requests": 2000,
            "max_requests_jitter": 200,
            "limit_request_line": 8190,
            # The proxy in front is trusted for X-Forwarded-*; set FORWARDED_ALLOW_IPS to it.
            "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
            "accesslog": "-" if options["access_log"] else None,
            "errorlog": "-",
            "loglevel": os.environ.get("LOG_LEVEL", "info").lower(),
            "proc_name": "cairn",
            # gunicorn's control socket is one path per user: two servers on one machine
            # would fight over it, and Cairn does not use it.
            "control_socket_disable": True,
            # The app is loaded once, before the processes fork: less memory, and no
            # process pays for loading it on its first request.
            "preload_app": True,
        }
        if options["pid"]:
            config["pidfile"] = options["pid"]
        if os.path.isdir("/dev/shm"):
            config["worker_tmp_dir"] = "/dev/shm"  # heartbeats off the disk

        class Server(BaseApplication):
            def load_config(self):
                for key, value in config.items():
                    if value is not None:
                        self.cfg.set(key, value)

            def load(self):
                # Called once gunicorn has set up its own log, before the processes fork:
                # its lines too are JSON when Cairn's are.
                from django.conf import settings
                from django.urls import get_resolver

                from cairn.core.logs import JsonFormatter, RequestIdFilter

                if settings.LOG_FORMAT == "json":
                    for handler in logging.getLogger("gunicorn.error").handlers:
                        handler.setFormatter(JsonFormatter())
                        handler.addFilter(RequestIdFilter())

                get_resolver().check()  # import every view now, not on a first request
                return application

        Server().run()
