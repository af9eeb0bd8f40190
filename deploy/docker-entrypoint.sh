#!/bin/sh
# The container's entry point (also runs natively: the tests start it as is).
#   web      migrate (under a lock: several app servers may start at once), then serve
#   worker   the background worker (jobs, reminders, webhooks)
#   migrate  only migrate, then exit
#   anything else is run as a command, e.g. `cairn createsuperuser` or `cairn backup`
set -eu
cairn=${CAIRN:-cairn}

migrate() {
  # CAIRN_MIGRATE_ON_START=0 leaves upgrades to an operator's own `cairn migrate`.
  if [ "${CAIRN_MIGRATE_ON_START:-1}" = "1" ]; then
    "$cairn" migrate --noinput
  fi
}

case "${1:-web}" in
  web)
    shift 2>/dev/null || true
    migrate
    exec "$cairn" serve --bind "${CAIRN_BIND:-0.0.0.0:8000}" "$@"
    ;;
  worker)
    shift
    exec "$cairn" worker "$@"
    ;;
  migrate)
    "$cairn" migrate --noinput
    ;;
  *)
    exec "$@"
    ;;
esac
